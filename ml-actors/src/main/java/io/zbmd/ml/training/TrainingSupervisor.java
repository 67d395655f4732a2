package io.zbmd.ml.training;

import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceLostException;
import io.zbmd.gpu.DeviceOutOfMemoryException;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.gpu.KernelException;
import io.zbmd.ml.actor.DataLoaderActor;
import io.zbmd.ml.actor.ModelActor;
import io.zbmd.ml.actor.ModelState;
import io.zbmd.ml.actor.ModelSpec;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.DataLoader;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.data.LoaderOptions;
import io.zbmd.ml.data.LoaderPosition;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.optim.OptimizerState;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Drives a training run as messages and owns its failure policies. It spawns a {@link
 * DataLoaderActor} over the training set and a {@link ModelActor} on a device, then loops: ask the
 * loader for a batch, send it as a {@link ModelActor.TrainStep}, record the loss; at the end of an
 * epoch it evaluates on the test set (every epoch if asked, always after the last) and saves a
 * {@link Checkpoint} (weights, optimizer state, loader position) to its {@link CheckpointSink}, and
 * also every {@link TrainingOptions#checkpointEvery()} steps when set. Only copying the state off
 * the device pauses training; the sink writes it while training goes on, and the run completes
 * once every save is durable. If the sink already holds a checkpoint when the run starts, the run
 * resumes from it ({@link ResumedFromCheckpoint}): same weights, optimizer state and next batch,
 * so that a resumed run takes exactly the steps the interrupted one would have.
 *
 * <p>Failure policies, each survived one counting as a recovery:
 *
 * <ul>
 *   <li>{@link DeviceOutOfMemoryException} in a step: double the number of micro-batches (halving
 *       the micro-batch; the model accumulates their gradients, so the effective batch is
 *       unchanged) and retry the same batch ({@link BatchSizeReduced}). In an evaluation: halve the
 *       evaluation batch and retry.
 *   <li>{@link DeviceLostException} anywhere: mark the device lost in the {@link GpuExtension},
 *       spawn a new model actor on the extension's default (first healthy) device, load the latest
 *       checkpoint's weights and optimizer state, seek the loader to its position, and go on
 *       ({@link DeviceReplaced}); without a checkpoint yet, start over from the first batch.
 *   <li>{@link KernelException} (a transient kernel fault) in a step: retry the same batch ({@link
 *       StepRetried}); in an evaluation: run it again ({@link EvaluationRetried}). At most {@link
 *       TrainingOptions#maxConsecutiveRetries()} times in a row for one step or evaluation; one
 *       more failure escalates as below. A step zeroes its gradients first and a fault is raised
 *       before the faulting op runs, so a fault in the forward or backward pass leaves weights and
 *       optimizer state untouched and its retry is exact. A fault inside the optimizer update is
 *       retried too, but that retry is not exact: the optimizer's step count (Adam's bias
 *       correction) was already advanced, and the parameters updated before the fault are updated
 *       twice. Kernel faults in training ops other than the update (e.g. {@code gemm}) are exact.
 *   <li>Anything else: reply {@link TrainingFailed} and throw {@link TrainingFailedException}, so
 *       that the parent sees the failure (escalation, as an OTP supervisor would).
 * </ul>
 *
 * <p>{@link GetStatus} is answered at any time. On completion it replies {@link TrainingCompleted}
 * with a {@link TrainingSummary}, stops its children (freeing the model's memory) and keeps
 * answering {@link GetStatus}.
 *
 * <pre>{@code
 * ActorRef<TrainingSupervisor.Command> run = ctx.spawn(
 *     TrainingSupervisor.create(spec, mnist.train(), mnist.test(),
 *         TrainingOptions.of(10, 64, 42), new InMemoryCheckpointSink(), results, events),
 *     "training");
 * run.tell(new TrainingSupervisor.GetStatus(statusReplies));
 * // results receives TrainingCompleted(summary) or TrainingFailed(cause, status)
 * }</pre>
 */
public final class TrainingSupervisor extends AbstractBehavior<TrainingSupervisor.Command> {

  /** What a training supervisor understands. */
  public interface Command {}

  /**
   * Answered at once with a {@link Status}, whatever the run is doing, and after it completed. A
   * failed run's supervisor has stopped; its last status comes with {@link TrainingFailed}.
   */
  public record GetStatus(ActorRef<Status> replyTo) implements Command {
    public GetStatus {
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** The state of a run. */
  public enum State {
    RUNNING,
    COMPLETED,
    FAILED
  }

  /**
   * @param state running, completed or failed
   * @param step optimizer steps taken
   * @param epoch epochs completed
   * @param lastLoss the loss of the last step (NaN before the first)
   * @param lastAccuracy the last test accuracy, 0..1 (NaN before the first evaluation)
   * @param recoveries failures survived, each retry of a step or evaluation included
   * @param device where the model lives now
   * @param batchSize the effective batch size
   * @param microBatches parts each batch is split into
   * @param microBatchSize samples per part, at most
   */
  public record Status(
      State state,
      long step,
      int epoch,
      double lastLoss,
      double lastAccuracy,
      int recoveries,
      DeviceId device,
      int batchSize,
      int microBatches,
      int microBatchSize) {}

  /** The outcome of a run, sent to the {@code replyTo} given at start. */
  public interface Result {}

  public record TrainingCompleted(TrainingSummary summary) implements Result {}

  /** The run failed with {@code cause}, no policy covering it; {@code status} is its last. */
  public record TrainingFailed(Throwable cause, Status status) implements Result {}

  /** What happened during a run, sent to the optional events listener; all in the past tense. */
  public interface Event {}

  /** A step was taken: batch {@code batch} of {@code batchesPerEpoch} in epoch {@code epoch}. */
  public record StepTaken(long step, int epoch, int batch, int batchesPerEpoch, float loss)
      implements Event {}

  /**
   * An epoch ended.
   *
   * @param epoch epochs completed (1 for the first)
   * @param trainLoss mean training loss over the epoch's steps
   * @param testLoss test loss, NaN when not evaluated this epoch
   * @param testAccuracy test accuracy 0..1, NaN when not evaluated this epoch
   * @param samplesPerSecond training samples per second of training time in this epoch
   */
  public record EpochCompleted(
      int epoch,
      long step,
      double trainLoss,
      double testLoss,
      double testAccuracy,
      double samplesPerSecond)
      implements Event {}

  /** A step ran out of device memory; batches are now split into {@code microBatches} parts. */
  public record BatchSizeReduced(
      long step, int batchSize, int microBatches, int microBatchSize, String cause)
      implements Event {}

  /** An evaluation ran out of device memory; it now runs in batches of {@code evalBatchSize}. */
  public record EvaluationBatchReduced(int evalBatchSize, String cause) implements Event {}

  /** {@code lost} was lost; the model now lives on {@code replacement}, resumed at step. */
  public record DeviceReplaced(DeviceId lost, DeviceId replacement, long resumedAtStep, String cause)
      implements Event {}

  /**
   * Step {@code step} failed with a transient kernel fault and is being retried on the same batch;
   * {@code attempt} is this retry's number, 1 for the first, at most {@code maxRetries}.
   */
  public record StepRetried(long step, int attempt, int maxRetries, String cause)
      implements Event {}

  /** An evaluation failed with a transient kernel fault and is being run again. */
  public record EvaluationRetried(int attempt, int maxRetries, String cause) implements Event {}

  /** A checkpoint was saved to the sink and is durable (its save completed). */
  public record CheckpointRecorded(long step, int epoch) implements Event {}

  /** The run started from the sink's latest checkpoint; {@code position} is its next batch. */
  public record ResumedFromCheckpoint(long step, int epoch, LoaderPosition position)
      implements Event {}

  // ---- internal ----

  private record BatchReceived(DataLoaderActor.NextBatch next) implements Command {}

  private record StepReplied(ModelActor.StepResult result) implements Command {}

  private record EvaluationReplied(ModelActor.EvaluationResult result) implements Command {}

  private record StateReplied(ModelActor.StateResult result) implements Command {}


  private record PositionReplied(LoaderPosition position) implements Command {}

  private record ImportReplied(ModelActor.ImportResult result) implements Command {}

  private record SeekReplied(DataLoaderActor.SeekResult result) implements Command {}

  private record SaveCompleted(long step, int epoch, Throwable failure) implements Command {}

  /** Saves being written at most; a checkpoint due beyond that waits for one to finish. */
  public static final int MAX_PENDING_SAVES = 2;

  private final ModelSpec spec;
  private final Dataset test;
  private final TrainingOptions options;
  private final CheckpointSink sink;
  private final ActorRef<Result> replyTo;
  private final ActorRef<Event> events;
  private final GpuExtension gpu;
  private final int batchesPerEpoch;
  private final ActorRef<DataLoaderActor.Command> loader;

  private final ActorRef<DataLoaderActor.NextBatch> batchAdapter;
  private final ActorRef<ModelActor.StepResult> stepAdapter;
  private final ActorRef<ModelActor.EvaluationResult> evalAdapter;
  private final ActorRef<ModelActor.StateResult> stateAdapter;
  private final ActorRef<LoaderPosition> positionAdapter;
  private final ActorRef<ModelActor.ImportResult> importAdapter;
  private final ActorRef<DataLoaderActor.SeekResult> seekAdapter;

  private ActorRef<ModelActor.Command> model;
  private DeviceId device;
  private int models;
  private State state = State.RUNNING;

  private DataLoaderActor.NextBatch current;
  private int microBatches = 1;
  private int evalBatchSize;
  private long step;
  private int epochsDone;
  private double lastLoss = Double.NaN;
  private double lastAccuracy = Double.NaN;
  private double lastTestLoss = Double.NaN;
  private double lastEpochLoss = Double.NaN;
  private int recoveries;
  private int consecutiveFailures;

  private double epochLossSum;
  private long epochSamples;
  private long epochNanos;
  private long totalSamples;
  private long trainNanos;
  private long stepSentAt;
  private final long startedAt = System.nanoTime();

  private ModelState pendingState;
  private Checkpoint restoring;
  private boolean checkpointEndsEpoch;
  private int pendingSaves;
  private boolean checkpointWaiting;
  // Steps of the saves being written, in the order they were taken, and those done out of turn.
  private final java.util.ArrayDeque<Long> savesInOrder = new java.util.ArrayDeque<>();
  private final java.util.Map<Long, SaveCompleted> savesDone = new java.util.HashMap<>();
  // A device loss that waits for the saves being written before choosing where to resume.
  private LostDevice lostWhileSaving;

  private record LostDevice(DeviceId device, DeviceLostException cause) {}
  private boolean completing;

  private TrainingSupervisor(
      ActorContext<Command> ctx,
      ModelSpec spec,
      Dataset train,
      Dataset test,
      TrainingOptions options,
      CheckpointSink sink,
      ActorRef<Result> replyTo,
      ActorRef<Event> events) {
    super(ctx);
    this.spec = spec;
    this.test = test;
    this.options = options;
    this.sink = sink;
    this.replyTo = replyTo;
    this.events = events;
    this.gpu = GpuExtension.get(ctx.getSystem());
    this.evalBatchSize = options.evalBatchSize();
    batchAdapter = ctx.messageAdapter(DataLoaderActor.NextBatch.class, BatchReceived::new);
    stepAdapter = ctx.messageAdapter(ModelActor.StepResult.class, StepReplied::new);
    evalAdapter = ctx.messageAdapter(ModelActor.EvaluationResult.class, EvaluationReplied::new);
    stateAdapter = ctx.messageAdapter(ModelActor.StateResult.class, StateReplied::new);
    positionAdapter = ctx.messageAdapter(LoaderPosition.class, PositionReplied::new);
    importAdapter = ctx.messageAdapter(ModelActor.ImportResult.class, ImportReplied::new);
    seekAdapter = ctx.messageAdapter(DataLoaderActor.SeekResult.class, SeekReplied::new);

    DataLoader data = new DataLoader(train, LoaderOptions.of(options.batchSize(), options.seed()));
    batchesPerEpoch = data.batchesPerEpoch();
    loader = ctx.spawn(DataLoaderActor.create(data), "data");
    ctx.watch(loader);
    device = options.device() != null ? options.device() : gpu.defaultDevice().id();
    spawnModel();
    ctx.getLog()
        .info(
            "training started on {}: {} epochs of {} batches of {}",
            device,
            options.epochs(),
            batchesPerEpoch,
            options.batchSize());
    Optional<Checkpoint> resume = sink.latest();
    if (resume.isPresent()) {
      restoring = resume.get();
      ResumedFromCheckpoint event =
          new ResumedFromCheckpoint(restoring.step(), restoring.epoch(), restoring.position());
      ctx.getLog().info("{}", event);
      emit(event);
      restore(restoring);
    } else {
      requestBatch();
    }
  }

  /**
   * A run that starts as soon as the behavior does.
   *
   * @param spec the model, loss and optimizer
   * @param train the training set
   * @param test the test set evaluated after epochs
   * @param options epochs, batch size, seed, evaluation, first device
   * @param sink where checkpoints go every epoch, and where recovery finds the last one
   * @param replyTo gets {@link TrainingCompleted} or {@link TrainingFailed}
   * @param events gets every {@link Event}; {@code null} for none
   */
  public static Behavior<Command> create(
      ModelSpec spec,
      Dataset train,
      Dataset test,
      TrainingOptions options,
      CheckpointSink sink,
      ActorRef<Result> replyTo,
      ActorRef<Event> events) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(test, "test");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(sink, "sink");
    Objects.requireNonNull(replyTo, "replyTo");
    return Behaviors.setup(
        ctx -> new TrainingSupervisor(ctx, spec, train, test, options, sink, replyTo, events));
  }

  /** {@link #create(ModelSpec, Dataset, Dataset, TrainingOptions, CheckpointSink, ActorRef,
   * ActorRef)} without an events listener. */
  public static Behavior<Command> create(
      ModelSpec spec,
      Dataset train,
      Dataset test,
      TrainingOptions options,
      CheckpointSink sink,
      ActorRef<Result> replyTo) {
    return create(spec, train, test, options, sink, replyTo, null);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(GetStatus.class, this::onStatus)
        .onMessage(BatchReceived.class, this::onBatch)
        .onMessage(StepReplied.class, this::onStep)
        .onMessage(EvaluationReplied.class, this::onEvaluation)
        .onMessage(StateReplied.class, this::onState)
        .onMessage(PositionReplied.class, this::onPosition)
        .onMessage(ImportReplied.class, this::onImport)
        .onMessage(SeekReplied.class, this::onSeek)
        .onMessage(SaveCompleted.class, this::onSaveCompleted)
        .onSignal(ChildFailed.class, this::onChildFailed)
        .onSignal(Terminated.class, this::onChildStopped)
        .build();
  }

  // ---- status ----

  private Status status() {
    int micro = Math.min(microBatches, options.batchSize());
    return new Status(
        state,
        step,
        epochsDone,
        lastLoss,
        lastAccuracy,
        recoveries,
        device,
        options.batchSize(),
        micro,
        (options.batchSize() + micro - 1) / micro);
  }

  private Behavior<Command> onStatus(GetStatus m) {
    m.replyTo().tell(status());
    return this;
  }

  // ---- steps ----

  private void requestBatch() {
    loader.tell(new DataLoaderActor.Next(batchAdapter));
  }

  private Behavior<Command> onBatch(BatchReceived m) {
    if (state != State.RUNNING) {
      return this;
    }
    current = m.next();
    sendStep();
    return this;
  }

  private void sendStep() {
    Batch b = current.batch();
    stepSentAt = System.nanoTime();
    model.tell(new ModelActor.TrainStep(b, Math.min(microBatches, b.size()), stepAdapter));
  }

  private Behavior<Command> onStep(StepReplied m) {
    if (state != State.RUNNING) {
      return this;
    }
    long elapsed = System.nanoTime() - stepSentAt;
    if (m.result() instanceof ModelActor.StepCompleted c) {
      consecutiveFailures = 0;
      epochNanos += elapsed;
      trainNanos += elapsed;
      step++;
      lastLoss = c.loss();
      epochLossSum += (double) c.loss() * c.samples();
      epochSamples += c.samples();
      totalSamples += c.samples();
      Batch b = current.batch();
      emit(new StepTaken(step, b.epoch(), b.index(), batchesPerEpoch, c.loss()));
      if (current.endOfEpoch()) {
        endEpoch();
      } else if (options.checkpointEvery() > 0 && step % options.checkpointEvery() == 0) {
        checkpoint(false);
      } else {
        requestBatch();
      }
    } else if (m.result() instanceof ModelActor.StepFailed f) {
      Throwable cause = f.cause();
      DeviceOutOfMemoryException oom = find(cause, DeviceOutOfMemoryException.class);
      KernelException kernel = find(cause, KernelException.class);
      if (oom != null && find(cause, DeviceLostException.class) == null) {
        reduceBatch(oom);
      } else if (isTransient(cause, kernel)
          && consecutiveFailures < options.maxConsecutiveRetries()) {
        consecutiveFailures++;
        recoveries++;
        StepRetried event =
            new StepRetried(
                step + 1,
                consecutiveFailures,
                options.maxConsecutiveRetries(),
                kernel.getMessage());
        getContext().getLog().warn("{}", event);
        emit(event);
        sendStep();
      } else {
        onFailure(cause);
      }
    }
    return this;
  }

  private void reduceBatch(DeviceOutOfMemoryException oom) {
    if (microBatches >= current.batch().size()) {
      // One sample at a time does not fit either: nothing left to halve.
      fail(oom);
    }
    microBatches = Math.min(microBatches * 2, options.batchSize());
    recoveries++;
    Status s = status();
    BatchSizeReduced event =
        new BatchSizeReduced(
            step + 1, options.batchSize(), s.microBatches(), s.microBatchSize(), oom.getMessage());
    getContext().getLog().warn("{}", event);
    emit(event);
    sendStep();
  }

  // ---- end of an epoch: evaluate, checkpoint ----

  private void endEpoch() {
    epochsDone = current.batch().epoch() + 1;
    lastEpochLoss = epochLossSum / Math.max(1, epochSamples);
    if (options.evaluateEveryEpoch() || epochsDone >= options.epochs()) {
      evaluate();
    } else {
      afterEvaluation(Double.NaN, Double.NaN);
    }
  }

  private void evaluate() {
    model.tell(new ModelActor.Evaluate(test, evalBatchSize, evalAdapter));
  }

  private Behavior<Command> onEvaluation(EvaluationReplied m) {
    if (state != State.RUNNING) {
      return this;
    }
    if (m.result() instanceof ModelActor.Evaluated e) {
      consecutiveFailures = 0;
      lastAccuracy = e.accuracy();
      lastTestLoss = e.loss();
      afterEvaluation(e.loss(), e.accuracy());
    } else if (m.result() instanceof ModelActor.EvaluationFailed f) {
      DeviceOutOfMemoryException oom = find(f.cause(), DeviceOutOfMemoryException.class);
      if (oom != null && evalBatchSize > 1 && find(f.cause(), DeviceLostException.class) == null) {
        evalBatchSize = Math.max(1, evalBatchSize / 2);
        recoveries++;
        EvaluationBatchReduced event = new EvaluationBatchReduced(evalBatchSize, oom.getMessage());
        getContext().getLog().warn("{}", event);
        emit(event);
        evaluate();
      } else if (isTransient(f.cause(), find(f.cause(), KernelException.class))
          && consecutiveFailures < options.maxConsecutiveRetries()) {
        consecutiveFailures++;
        recoveries++;
        EvaluationRetried event =
            new EvaluationRetried(
                consecutiveFailures,
                options.maxConsecutiveRetries(),
                find(f.cause(), KernelException.class).getMessage());
        getContext().getLog().warn("{}", event);
        emit(event);
        evaluate();
      } else {
        onFailure(f.cause());
      }
    }
    return this;
  }

  private void afterEvaluation(double testLoss, double testAccuracy) {
    double perSecond = epochNanos == 0 ? 0 : epochSamples * 1e9 / epochNanos;
    EpochCompleted event =
        new EpochCompleted(epochsDone, step, lastEpochLoss, testLoss, testAccuracy, perSecond);
    getContext().getLog().info("{}", event);
    emit(event);
    checkpoint(true);
  }

  /**
   * Copies weights, optimizer state and loader position off their actors, then saves them. With
   * {@link #MAX_PENDING_SAVES} saves still being written, training waits for one to finish first:
   * a disk slower than the checkpoint interval slows training down instead of piling up copies
   * of the model in memory.
   */
  private void checkpoint(boolean endsEpoch) {
    checkpointEndsEpoch = endsEpoch;
    if (pendingSaves >= MAX_PENDING_SAVES) {
      checkpointWaiting = true;
      return;
    }
    model.tell(new ModelActor.ExportState(stateAdapter));
  }

  /** The model's whole state came in one reply; the loader's position follows. */
  private Behavior<Command> onState(StateReplied m) {
    if (state != State.RUNNING) {
      return this;
    }
    if (m.result() instanceof ModelActor.StateExported e) {
      pendingState = e.state();
      loader.tell(new DataLoaderActor.Position(positionAdapter));
    } else if (m.result() instanceof ModelActor.ExportFailed f) {
      onFailure(f.cause());
    }
    return this;
  }

  private Behavior<Command> onPosition(PositionReplied m) {
    if (state != State.RUNNING) {
      return this;
    }
    long savedStep = step;
    int savedEpoch = epochsDone;
    CompletionStage<Void> saved;
    try {
      saved =
          sink.save(
              new Checkpoint(
                  step,
                  epochsDone,
                  pendingState.weights(),
                  pendingState.optimizer(),
                  m.position(),
                  pendingState.rngState()),
              metrics());
    } catch (RuntimeException e) {
      fail(e);
      return this;
    }
    pendingState = null;
    pendingSaves++;
    savesInOrder.addLast(savedStep);
    // Training goes on while the sink writes; the outcome comes back as a message.
    getContext()
        .pipeToSelf(saved, (ok, failure) -> new SaveCompleted(savedStep, savedEpoch, failure));
    if (!checkpointEndsEpoch) {
      requestBatch();
      return this;
    }
    resetEpoch();
    if (epochsDone >= options.epochs()) {
      complete();
    } else {
      requestBatch();
    }
    return this;
  }

  /** The figures recorded with a checkpoint: the finite ones of loss and the last evaluation. */
  private Map<String, Double> metrics() {
    Map<String, Double> m = new java.util.LinkedHashMap<>();
    if (Double.isFinite(lastLoss)) {
      m.put("loss", lastLoss);
    }
    if (Double.isFinite(lastTestLoss)) {
      m.put("test_loss", lastTestLoss);
    }
    if (Double.isFinite(lastAccuracy)) {
      m.put("test_accuracy", lastAccuracy);
    }
    return m;
  }

  private Behavior<Command> onSaveCompleted(SaveCompleted m) {
    pendingSaves--;
    if (state != State.RUNNING) {
      return this;
    }
    if (m.failure() != null) {
      fail(
          new IllegalStateException(
              "the checkpoint of step " + m.step() + " could not be saved: " + m.failure(),
              m.failure()));
      return this;
    }
    // Saves may finish in any order; their events come out in the order they were taken.
    savesDone.put(m.step(), m);
    while (!savesInOrder.isEmpty() && savesDone.containsKey(savesInOrder.peekFirst())) {
      SaveCompleted done = savesDone.remove(savesInOrder.pollFirst());
      emit(new CheckpointRecorded(done.step(), done.epoch()));
    }
    if (pendingSaves == 0 && lostWhileSaving != null) {
      // A device was lost while saves were being written: resume from the newest of them.
      LostDevice lost = lostWhileSaving;
      lostWhileSaving = null;
      resumeFromLatest(lost.device(), lost.cause());
      return this;
    }
    if (checkpointWaiting && lostWhileSaving == null) {
      checkpointWaiting = false;
      checkpoint(checkpointEndsEpoch);
    }
    if (completing && pendingSaves == 0) {
      finishCompletion();
    }
    return this;
  }

  private void resetEpoch() {
    epochLossSum = 0;
    epochSamples = 0;
    epochNanos = 0;
  }

  /** Completes once every save is durable: a completed run never lacks its last checkpoint. */
  private void complete() {
    completing = true;
    if (pendingSaves == 0) {
      finishCompletion();
    }
  }

  private void finishCompletion() {
    state = State.COMPLETED;
    double perSecond = trainNanos == 0 ? 0 : totalSamples * 1e9 / trainNanos;
    TrainingSummary summary =
        new TrainingSummary(
            lastEpochLoss,
            lastTestLoss,
            lastAccuracy,
            perSecond,
            epochsDone,
            step,
            recoveries,
            device.backend(),
            device.toString(),
            (System.nanoTime() - startedAt) / 1e9);
    getContext().getLog().info("training completed: {}", summary);
    stopChildren();
    replyTo.tell(new TrainingCompleted(summary));
  }

  private void stopChildren() {
    getContext().unwatch(model);
    getContext().stop(model);
    getContext().unwatch(loader);
    getContext().stop(loader);
  }

  // ---- failures ----

  /** Device lost: recover; anything else: escalate. */
  private void onFailure(Throwable cause) {
    DeviceLostException lost = find(cause, DeviceLostException.class);
    if (lost != null) {
      replaceDevice(lost);
    } else {
      fail(cause);
    }
  }

  private void replaceDevice(DeviceLostException cause) {
    DeviceId from = device;
    gpu.markLost(from, cause);
    if (cause.device() != null && !cause.device().equals(from)) {
      gpu.markLost(cause.device(), cause);
    }
    getContext().unwatch(model);
    getContext().stop(model);
    try {
      device = gpu.defaultDevice().id();
    } catch (IllegalStateException none) {
      none.addSuppressed(cause);
      fail(none);
      return;
    }
    recoveries++;
    consecutiveFailures = 0;
    spawnModel();
    resetEpoch();
    checkpointWaiting = false;
    if (pendingSaves > 0) {
      // A save being written may become the newest checkpoint: resuming from an older one now
      // would retrain steps the journal already holds a later checkpoint of.
      lostWhileSaving = new LostDevice(from, cause);
      return;
    }
    resumeFromLatest(from, cause);
  }

  /** Restores the newest checkpoint into the (new) model, or starts over without one. */
  private void resumeFromLatest(DeviceId from, DeviceLostException cause) {
    Optional<Checkpoint> last = sink.latest();
    restoring = last.orElse(null);
    long resumeAt = restoring == null ? 0 : restoring.step();
    DeviceReplaced event = new DeviceReplaced(from, device, resumeAt, cause.getMessage());
    getContext().getLog().warn("{}", event);
    emit(event);
    if (restoring != null) {
      restore(restoring);
    } else {
      // No checkpoint yet: the new model starts from the spec's initial weights, at the start.
      loader.tell(
          new DataLoaderActor.Seek(
              new LoaderPosition(0, 0, options.seed(), options.batchSize()), seekAdapter));
    }
  }

  /** The checkpoint's whole model state in one message; the loader's seek follows. */
  private void restore(Checkpoint c) {
    model.tell(new ModelActor.ImportState(
        new ModelState(c.weights(), c.optimizer(), c.rngState(), c.step()), importAdapter));
  }

  private Behavior<Command> onImport(ImportReplied m) {
    if (state != State.RUNNING) {
      return this;
    }
    if (m.result() instanceof ModelActor.Imported) {
      loader.tell(new DataLoaderActor.Seek(restoring.position(), seekAdapter));
    } else if (m.result() instanceof ModelActor.ImportFailed f) {
      onFailure(f.cause());
    }
    return this;
  }

  private Behavior<Command> onSeek(SeekReplied m) {
    if (state != State.RUNNING) {
      return this;
    }
    if (m.result() instanceof DataLoaderActor.Sought) {
      step = restoring == null ? 0 : restoring.step();
      epochsDone = restoring == null ? 0 : restoring.epoch();
      restoring = null;
      if (epochsDone >= options.epochs()) {
        // Resumed from the final checkpoint: nothing is left to train.
        complete();
      } else {
        requestBatch();
      }
    } else if (m.result() instanceof DataLoaderActor.SeekRejected r) {
      fail(new IllegalStateException("the loader rejected the checkpoint's position: " + r));
    }
    return this;
  }

  private Behavior<Command> onChildFailed(ChildFailed s) {
    if (state == State.RUNNING && s.getRef().equals(model)) {
      // The model actor stops when it cannot build its model, e.g. on a device lost meanwhile.
      onFailure(s.cause());
      return this;
    }
    return onChildStopped(s);
  }

  private Behavior<Command> onChildStopped(Terminated s) {
    if (state == State.RUNNING) {
      fail(new IllegalStateException(s.getRef().path() + " stopped during training"));
    }
    return this;
  }

  /** Replies {@link TrainingFailed} and throws: the parent sees this actor fail. */
  private void fail(Throwable cause) {
    state = State.FAILED;
    Status s = status();
    getContext().getLog().error("training failed: {}", s, cause);
    replyTo.tell(new TrainingFailed(cause, s));
    throw new TrainingFailedException(getContext().getSelf().path().toString(), step, device, cause);
  }

  // ---- helpers ----

  private void spawnModel() {
    model = ModelActor.spawn(getContext(), spec, device, "model-" + (++models));
    getContext().watch(model);
  }

  private void emit(Event e) {
    if (events != null) {
      events.tell(e);
    }
  }

  /** A kernel fault, not one of the device's memory or loss (which have their own policies). */
  private static boolean isTransient(Throwable cause, KernelException kernel) {
    return kernel != null
        && find(cause, DeviceLostException.class) == null
        && find(cause, DeviceOutOfMemoryException.class) == null;
  }

  /** The first {@code type} in the cause chain of {@code t}, or null. */
  private static <T extends Throwable> T find(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }
}
