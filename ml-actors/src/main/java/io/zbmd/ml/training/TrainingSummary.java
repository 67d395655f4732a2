package io.zbmd.ml.training;

/**
 * The outcome of a completed training run, as {@code zbmd train --summary-json} writes it.
 *
 * @param finalTrainLoss mean training loss over the last epoch's steps
 * @param testLoss mean loss on the test set after the last epoch
 * @param testAccuracy accuracy (0..1) on the test set after the last epoch
 * @param samplesPerSecond training samples per second of training time (evaluation, checkpoints
 *     and recoveries excluded)
 * @param epochs epochs trained
 * @param steps optimizer steps taken
 * @param recoveries failures survived (micro-batch reductions and device replacements)
 * @param backend the backend of the device the run finished on ({@code cpu}, {@code cuda}, ...)
 * @param device the device the run finished on ({@code cpu:0})
 * @param seconds wall time of the whole run
 */
public record TrainingSummary(
    double finalTrainLoss,
    double testLoss,
    double testAccuracy,
    double samplesPerSecond,
    int epochs,
    long steps,
    int recoveries,
    String backend,
    String device,
    double seconds) {}
