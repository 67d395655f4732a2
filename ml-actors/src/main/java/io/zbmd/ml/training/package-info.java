/**
 * Training as messages: {@link io.zbmd.ml.training.TrainingSupervisor} drives a {@link
 * io.zbmd.ml.actor.ModelActor} over a {@link io.zbmd.ml.actor.DataLoaderActor}, checkpoints into a
 * {@link io.zbmd.ml.training.CheckpointSink} and survives running out of device memory and losing a
 * device.
 */
package io.zbmd.ml.training;
