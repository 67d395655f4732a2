package io.zbmd.gpu.vulkan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.KernelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shaders compile once: in memory, then on disk under a name that hashes source and options. */
class ShaderCacheTest {
  private static final DeviceId DEVICE = new DeviceId("vulkan", 0);
  private static final String SOURCE = Kernel.AFFINE.source(64, 16);

  @Test
  void compilesOnceThenServesFromMemoryAndDisk(@TempDir Path dir) throws Exception {
    byte[] first;
    try (ShaderCache cache = new ShaderCache(dir)) {
      first = cache.spirv(DEVICE, "affine", SOURCE);
      assertTrue(ShaderCache.isSpirv(first));
      assertArrayEquals(first, cache.spirv(DEVICE, "affine", SOURCE));
      assertEquals(1, cache.compilations());
    }
    try (ShaderCache restarted = new ShaderCache(dir)) {
      assertArrayEquals(first, restarted.spirv(DEVICE, "affine", SOURCE));
      assertEquals(0, restarted.compilations(), "a second start compiles nothing");
      assertEquals(1, restarted.diskLoads());
      // Another block size is another source: another file.
      restarted.spirv(DEVICE, "affine", Kernel.AFFINE.source(128, 16));
      assertEquals(1, restarted.compilations());
    }
    try (var files = Files.list(dir)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      assertEquals(2, names.size(), names.toString());
      assertTrue(names.get(0).matches("affine-[0-9a-f]{64}\\.spv"), names.toString());
    }
  }

  @Test
  void aFileThatIsNotSpirvIsCompiledAgain(@TempDir Path dir) throws Exception {
    try (ShaderCache cache = new ShaderCache(dir)) {
      cache.spirv(DEVICE, "affine", SOURCE);
    }
    Path file;
    try (var files = Files.list(dir)) {
      file = files.findFirst().orElseThrow();
    }
    Files.write(file, new byte[] {1, 2, 3}); // a torn write
    try (ShaderCache cache = new ShaderCache(dir)) {
      assertTrue(ShaderCache.isSpirv(cache.spirv(DEVICE, "affine", SOURCE)));
      assertEquals(1, cache.compilations());
    }
    assertTrue(ShaderCache.isSpirv(Files.readAllBytes(file)), "repaired on disk");
  }

  @Test
  void withoutADirectoryNothingIsWritten() {
    try (ShaderCache cache = new ShaderCache(null)) {
      cache.spirv(DEVICE, "affine", SOURCE);
      cache.spirv(DEVICE, "affine", SOURCE);
      assertEquals(1, cache.compilations());
      assertEquals(0, cache.diskLoads());
    }
  }

  @Test
  void aCompileErrorNamesTheShaderAndTheCompilersMessage(@TempDir Path dir) {
    try (ShaderCache cache = new ShaderCache(dir)) {
      KernelException e =
          assertThrows(
              KernelException.class,
              () ->
                  cache.spirv(
                      DEVICE, "broken", "#version 450\nvoid main() { undefinedThing = 1; }\n"));
      assertTrue(e.getMessage().contains("broken"), e.getMessage());
      assertTrue(e.getMessage().contains("undefinedThing"), e.getMessage());
      assertTrue(e.getMessage().startsWith("vulkan:0: "), e.getMessage());
      assertEquals(DEVICE, e.device());
    }
  }

  @Test
  void everyKernelCompiles() {
    try (ShaderCache cache = new ShaderCache(Path.of(VulkanTests.SHADER_CACHE_DIR))) {
      for (Kernel k : Kernel.values()) {
        for (int gemmWorkgroup : new int[] {8, 16}) {
          assertTrue(
              ShaderCache.isSpirv(cache.spirv(DEVICE, k.shaderName, k.source(256, gemmWorkgroup))),
              k.toString());
        }
      }
    }
  }
}
