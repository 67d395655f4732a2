package io.zbmd.ml.io;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes pickle opcodes by hand, so tests can build the {@code data.pkl} of any torch.save file,
 * including ones PyTorch would never write. Only what the tests need (protocol 2).
 */
final class PickleBytes {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  PickleBytes() {
    op(0x80).op(2);
  }

  PickleBytes op(int opcode) {
    out.write(opcode);
    return this;
  }

  PickleBytes global(String module, String name) {
    op('c');
    out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    return this;
  }

  /** BINUNICODE: length-prefixed UTF-8. */
  PickleBytes string(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    op('X').out.writeBytes(le32(b.length));
    out.writeBytes(b);
    return this;
  }

  /** BININT for values that fit 32 bits, LONG1 with 8 bytes otherwise. */
  PickleBytes integer(long v) {
    if (v == (int) v) {
      op('J').out.writeBytes(le32((int) v));
    } else {
      op(0x8a).op(8);
      out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }
    return this;
  }

  PickleBytes tuple(long... values) {
    op('(');
    for (long v : values) {
      integer(v);
    }
    return op('t');
  }

  PickleBytes raw(byte[] bytes) {
    out.writeBytes(bytes);
    return this;
  }

  byte[] stop() {
    op('.');
    return out.toByteArray();
  }

  static byte[] le32(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }
}
