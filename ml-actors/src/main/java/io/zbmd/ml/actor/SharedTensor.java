package io.zbmd.ml.actor;

import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.ml.tensor.Tensor;
import java.util.Objects;

/**
 * A device tensor handed from one actor to another without a copy: the sender {@code retain()}s
 * the buffer for the receiver, which takes the reference over ({@link #adopt()}) or {@link
 * #release()}s it (Netty's rule for reference-counted buffers that cross threads). Both must be on
 * the same device to compute with it.
 *
 * <pre>{@code
 * // sender, inside or after a work:
 * replyTo.tell(SharedTensor.retainOf(output));
 * // receiver:
 * Tensor x = shared.adopt();  // released with x.release()
 * }</pre>
 *
 * @param buffer a buffer with one reference for the receiver
 * @param shape the tensor's shape over the buffer's first values
 */
public record SharedTensor(DeviceBuffer buffer, int[] shape) {
  public SharedTensor {
    Objects.requireNonNull(buffer, "buffer");
    shape = shape.clone();
  }

  /** A new reference to {@code t}'s buffer, for a receiver. */
  public static SharedTensor retainOf(Tensor t) {
    return new SharedTensor(t.buffer().retain(), t.shape());
  }

  /** Takes the reference over as a tensor (its release gives the reference back). */
  public Tensor adopt() {
    return Tensor.wrap(buffer, shape);
  }

  /** Gives the reference back without using it. */
  public void release() {
    buffer.release();
  }

  @Override
  public int[] shape() {
    return shape.clone();
  }
}
