/**
 * HTTP model serving: an Open Inference Protocol (KServe v2 REST) server on pekko-http ({@link
 * io.zbmd.serving.InferenceServer}) with a dynamic {@link io.zbmd.serving.Batcher} per model
 * instance, Triton's binary tensor data extension, graceful shutdown through CoordinatedShutdown
 * and Prometheus metrics on {@code /metrics}. Settings: {@code zbmd.serving} in this module's
 * {@code reference.conf}.
 */
package io.zbmd.serving;
