package io.zbmd.samples.cli;

import static io.zbmd.samples.cli.OptionChecks.atLeast;
import static io.zbmd.samples.cli.OptionChecks.device;
import static io.zbmd.samples.cli.OptionChecks.directory;
import static io.zbmd.samples.cli.OptionChecks.oneOf;
import static io.zbmd.samples.cli.OptionChecks.positive;

/**
 * {@code zbmd train}'s options, checked before anything starts: a bad one is an {@link
 * OptionException} naming it, and no run is journaled.
 */
final class TrainOptionsCheck {
  private TrainOptionsCheck() {}

  static void check(TrainCommand c) {
    oneOf("--model", c.model, "mlp", "cnn");
    oneOf("--optimizer", c.optimizer, "adam", "sgd");
    atLeast("--hidden", c.hidden, 1);
    positive("--lr", c.lr);
    atLeast("--batch", c.batch, 1);
    atLeast("--epochs", c.epochs, 1);
    if (c.limit != null) {
      atLeast("--limit", c.limit, 1);
    }
    atLeast("--checkpoint-every", c.checkpointEvery, 0);
    directory("--data", c.data);
    if (c.backend != null) {
      device("--backend", c.backend);
    }
  }
}
