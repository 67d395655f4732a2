package io.zbmd.gpu.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs everywhere (no GPU needed): the PTX resource must have been generated from the kernels'
 * source as it is now, so a change to {@code zbmd_kernels.cu} without running {@code
 * build-ptx.sh} fails the build instead of shipping stale kernels. Also checks what the PTX
 * declares: the PTX ISA version and target the loader and the documentation promise, and one
 * entry point per kernel the backend looks up.
 */
class CudaPtxFreshnessTest {
  /** Maven runs tests in the module's directory. */
  private static final Path SOURCE = Path.of("src/main/cuda/zbmd_kernels.cu");

  @Test
  void thePtxWasGeneratedFromTheCurrentSource() throws Exception {
    assertTrue(Files.isRegularFile(SOURCE), "kernel source not found at " + SOURCE.toAbsolutePath());
    String ptx = ptx();
    Matcher recorded = Pattern.compile("^// source-sha256: ([0-9a-f]{64})$", Pattern.MULTILINE).matcher(ptx);
    assertTrue(recorded.find(), "the PTX resource records no source-sha256 line; regenerate it with build-ptx.sh");
    String actual = sha256(Files.readAllBytes(SOURCE));
    assertEquals(actual, recorded.group(1), "zbmd_kernels.cu changed since zbmd_kernels.ptx was generated:"
        + " run gpu-extension/src/main/cuda/build-ptx.sh and commit the PTX with the source");
  }

  @Test
  void thePtxDeclaresALowIsaVersionAndEveryKernel() throws Exception {
    String ptx = ptx();
    assertTrue(ptx.contains("\n.version 6.3\n"), "expected PTX ISA 6.3 (see build-ptx.sh)");
    assertTrue(ptx.contains("\n.target sm_75\n"), "expected target sm_75");
    for (String kernel : new String[] {"zbmd_unary", "zbmd_affine", "zbmd_binary", "zbmd_reduce_rows",
        "zbmd_reduce_cols", "zbmd_argmax", "zbmd_im2col", "zbmd_col2im", "zbmd_maxpool_forward",
        "zbmd_maxpool_backward", "zbmd_softmax_ce_forward", "zbmd_softmax_ce_backward", "zbmd_sgd",
        "zbmd_adam", "zbmd_sgemm"}) {
      assertTrue(ptx.contains(".visible .entry " + kernel + "("), "the PTX has no kernel " + kernel);
    }
    assertEquals("PTX ISA 6.3", CudaKernels.ptxVersion(CudaKernels.ptx()));
  }

  private static String ptx() throws IOException {
    try (InputStream in = CudaKernels.class.getResourceAsStream(CudaKernels.RESOURCE)) {
      assertTrue(in != null, CudaKernels.RESOURCE + " is not on the class path");
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
