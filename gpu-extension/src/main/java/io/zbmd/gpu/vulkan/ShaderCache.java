package io.zbmd.gpu.vulkan;

import static org.lwjgl.util.shaderc.Shaderc.shaderc_compilation_status_success;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_compile_into_spv;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_compile_options_initialize;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_compile_options_release;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_compile_options_set_optimization_level;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_compile_options_set_target_env;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_compiler_initialize;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_compiler_release;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_env_version_vulkan_1_0;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_glsl_compute_shader;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_optimization_level_performance;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_result_get_bytes;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_result_get_compilation_status;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_result_get_error_message;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_result_release;
import static org.lwjgl.util.shaderc.Shaderc.shaderc_target_env_vulkan;

import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.KernelException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GLSL compute shaders compiled to SPIR-V with shaderc (about a third of a second each), kept in
 * memory and, unless disabled, on disk as {@code <name>-<sha256>.spv} where the hash covers the
 * source and the compile options: a second start of the backend compiles nothing, and a changed
 * shader or option gets a new file. A file that is not SPIR-V (a torn write) is compiled again.
 * Thread-safe; one per backend.
 */
final class ShaderCache implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ShaderCache.class);

  /** What the hash covers besides the source: change it when the options change. */
  static final String OPTIONS =
      "shaderc glsl compute to SPIR-V 1.0; target vulkan 1.0; optimize performance";

  private static final int SPIRV_MAGIC = 0x07230203;

  private final Path dir;
  private final Map<String, byte[]> memory = new ConcurrentHashMap<>();
  private final AtomicInteger compilations = new AtomicInteger();
  private final AtomicInteger diskLoads = new AtomicInteger();
  private long compiler;
  private long options;
  private boolean diskWarned;

  /**
   * @param dir where SPIR-V files are kept, or null to keep them in memory only
   */
  ShaderCache(Path dir) {
    this.dir = dir;
  }

  /**
   * The SPIR-V of {@code source}, from memory, disk or the compiler.
   *
   * @param name the shader's name, for file names and error messages
   * @throws KernelException naming the shader and the compiler's message if it does not compile
   */
  byte[] spirv(DeviceId device, String name, String source) {
    String key = name + "-" + sha256(OPTIONS + "\n" + source);
    byte[] code = memory.get(key);
    if (code != null) {
      return code;
    }
    synchronized (this) {
      code = memory.get(key);
      if (code != null) {
        return code;
      }
      code = load(key);
      if (code != null) {
        diskLoads.incrementAndGet();
      } else {
        long t0 = System.nanoTime();
        code = compile(device, name, source);
        compilations.incrementAndGet();
        log.debug("compiled shader {} in {} ms", name, (System.nanoTime() - t0) / 1_000_000);
        store(key, code);
      }
      memory.put(key, code);
      return code;
    }
  }

  /** Shaders compiled by this cache (not found in memory or on disk). */
  int compilations() {
    return compilations.get();
  }

  /** Shaders read from disk. */
  int diskLoads() {
    return diskLoads.get();
  }

  /** The directory of the disk cache, or null. */
  Path dir() {
    return dir;
  }

  private byte[] compile(DeviceId device, String name, String source) {
    try {
      if (compiler == 0) {
        compiler = shaderc_compiler_initialize();
        options = shaderc_compile_options_initialize();
        if (compiler == 0 || options == 0) {
          throw new KernelException(device, "shaderc could not start a compiler", null);
        }
        shaderc_compile_options_set_target_env(
            options, shaderc_target_env_vulkan, shaderc_env_version_vulkan_1_0);
        shaderc_compile_options_set_optimization_level(
            options, shaderc_optimization_level_performance);
      }
    } catch (LinkageError e) {
      throw new KernelException(
          device,
          "cannot compile shader "
              + name
              + ": the shaderc library (lwjgl-shaderc natives) could not be loaded: "
              + e,
          e);
    }
    long result =
        shaderc_compile_into_spv(
            compiler, source, shaderc_glsl_compute_shader, name + ".comp", "main", options);
    if (result == 0) {
      throw new KernelException(
          device, "shader " + name + " failed to compile: shaderc returned no result", null);
    }
    try {
      if (shaderc_result_get_compilation_status(result) != shaderc_compilation_status_success) {
        throw new KernelException(
            device,
            "shader "
                + name
                + " failed to compile: "
                + String.valueOf(shaderc_result_get_error_message(result)).trim(),
            null);
      }
      ByteBuffer bytes = shaderc_result_get_bytes(result);
      byte[] code = new byte[bytes.remaining()];
      bytes.get(code);
      return code;
    } finally {
      shaderc_result_release(result);
    }
  }

  private byte[] load(String key) {
    if (dir == null) {
      return null;
    }
    Path file = dir.resolve(key + ".spv");
    try {
      byte[] code = Files.readAllBytes(file);
      if (isSpirv(code)) {
        return code;
      }
      log.warn("shader cache file {} is not SPIR-V; compiling again", file);
    } catch (NoSuchFileException e) {
      // not cached yet
    } catch (IOException e) {
      warnDisk("cannot read " + file, e);
    }
    return null;
  }

  private void store(String key, byte[] code) {
    if (dir == null) {
      return;
    }
    Path file = dir.resolve(key + ".spv");
    try {
      Files.createDirectories(dir);
      // Written aside and renamed, so that a concurrent start never reads half a file.
      Path tmp = Files.createTempFile(dir, key, ".tmp");
      try {
        Files.write(tmp, code);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException | UnsupportedOperationException e) {
      warnDisk("cannot write " + file + "; shaders will be compiled again on the next start", e);
    }
  }

  private void warnDisk(String message, Exception e) {
    if (!diskWarned) {
      diskWarned = true;
      log.warn("shader cache: {}: {}", message, e.toString());
    }
  }

  static boolean isSpirv(byte[] code) {
    if (code.length < 20 || code.length % 4 != 0) {
      return false;
    }
    int magic =
        (code[0] & 0xff) | (code[1] & 0xff) << 8 | (code[2] & 0xff) << 16 | (code[3] & 0xff) << 24;
    return magic == SPIRV_MAGIC;
  }

  static String sha256(String text) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JVM has SHA-256", e);
    }
  }

  @Override
  public synchronized void close() {
    if (options != 0) {
      shaderc_compile_options_release(options);
      options = 0;
    }
    if (compiler != 0) {
      shaderc_compiler_release(compiler);
      compiler = 0;
    }
  }
}
