/**
 * The actors of machine learning on zbmd: {@link io.zbmd.ml.actor.ModelActor} owns a network and,
 * when it trains, its loss, optimizer and gradient buckets on one device, and predicts, computes,
 * exchanges and applies gradients, trains, evaluates and moves its state by message; {@link
 * io.zbmd.ml.actor.DataLoaderActor} hands out batches and keeps the loader's position. Device
 * actors run on their device's pinned dispatcher ({@link io.zbmd.gpu.GpuExtension#spawn}) and
 * submit their work to the device's stream, piping the outcome back, so the dispatcher thread
 * never waits on the device; {@link io.zbmd.ml.actor.SerialDeviceWork} is that machinery, for an
 * actor of your own.
 *
 * <p>Layers and the optimizer are not actors of their own: a message per layer per pass costs more
 * than the layer on a small model, and the step must run as one device work to stay deterministic.
 */
package io.zbmd.ml.actor;
