/**
 * The actors of machine learning on zbmd: {@link io.zbmd.ml.actor.ModelActor} owns a network, its
 * loss and its optimizer on one device and trains, evaluates and moves weights by message; {@link
 * io.zbmd.ml.actor.DataLoaderActor} hands out batches and keeps the loader's position; {@link
 * io.zbmd.ml.actor.TensorActor} holds one tensor, multiplies and adds it with another tensor
 * actor's, and migrates between devices; {@link io.zbmd.ml.actor.LayerActor} runs one layer's
 * forward and backward passes by message and {@link io.zbmd.ml.actor.OptimizerActor} updates the
 * parameters layer actors shared with it, tensors crossing actors as {@link
 * io.zbmd.ml.actor.SharedTensor}s. Device
 * actors run on their device's pinned dispatcher ({@link io.zbmd.gpu.GpuExtension#spawn}) and
 * submit their work to the device's stream, piping the outcome back, so the dispatcher thread
 * never waits on the device.
 */
package io.zbmd.ml.actor;
