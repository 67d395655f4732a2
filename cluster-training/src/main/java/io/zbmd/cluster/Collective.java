package io.zbmd.cluster;

/**
 * A group of ranks that reduce gradients together: the seam between the training loop and the
 * transport that moves the bytes. {@link RingCollective} is the ring all-reduce over TCP; an NCCL
 * implementation (JavaCPP's CUDA presets carry it) can replace it on NVIDIA GPUs without changing
 * the callers.
 *
 * <p>Calls are collective: every rank calls {@link #allReduceSum} with the same length, in the same
 * order. When a call fails (a peer lost, the step deadline passed), the collective is broken for
 * good and every later call fails at once: the control plane re-forms the ring from the survivors.
 *
 * <pre>{@code
 * collective.allReduceSum(gradients, 0, gradients.length); // sum over all ranks, in place
 * for (int i = 0; i < gradients.length; i++) gradients[i] /= collective.size(); // the mean
 * }</pre>
 */
public interface Collective extends AutoCloseable {
  /** This member's place in the group, {@code 0 <= rank < size}. */
  int rank();

  /** How many ranks take part. */
  int size();

  /**
   * Replaces {@code data[offset, offset + length)} with its element-wise sum over all ranks; every
   * rank ends with bit-identical values. Blocks until done.
   *
   * @throws PeerLostException when a connection to a peer broke (e.g. it was killed)
   * @throws CollectiveTimeoutException when the step deadline passed first
   * @throws CollectiveException when the collective was already broken or closed
   */
  void allReduceSum(float[] data, int offset, int length);

  /** Releases connections and threads; a call in progress fails with {@link CollectiveException}. */
  @Override
  void close();
}
