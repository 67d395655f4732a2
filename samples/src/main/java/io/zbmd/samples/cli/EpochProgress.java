package io.zbmd.samples.cli;

import io.zbmd.ml.training.TrainingSupervisor.StepTaken;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** The per-epoch progress bar of {@code zbmd train} (me.tongfei:progressbar), on stderr. */
final class EpochProgress {
  private final int epochs;
  private ProgressBar bar;
  private int epoch = -1;

  EpochProgress(int epochs) {
    this.epochs = epochs;
  }

  /** Moves the bar to the step's batch, starting a new bar when the epoch changes. */
  void step(StepTaken s) {
    if (bar == null || s.epoch() != epoch) {
      close();
      epoch = s.epoch();
      bar = new ProgressBarBuilder()
          .setTaskName(String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, epochs))
          .setInitialMax(s.batchesPerEpoch())
          .setUnit(" batches", 1)
          .setStyle(ProgressBarStyle.ASCII)
          .setConsumer(new ConsoleProgressBarConsumer(System.err))
          .setUpdateIntervalMillis(100)
          .build();
    }
    bar.stepTo(s.batch() + 1);
    bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", s.loss()));
  }

  /** Ends the current bar, if any. */
  void close() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }
}
