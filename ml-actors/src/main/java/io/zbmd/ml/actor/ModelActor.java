package io.zbmd.ml.actor;

import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.OwnedBuffers;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.optim.Optimizer;
import io.zbmd.ml.optim.OptimizerState;
import io.zbmd.ml.tensor.Allocator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;

/**
 * A model on one device, as an actor: it owns the network and, for a model that trains, its loss,
 * optimizer and gradient buckets (built from a {@link ModelSpec} with memory accounted to the
 * actor). It predicts ({@link Predict}), computes and applies gradients ({@link ComputeGradients},
 * {@link ApplyGradients}, with {@link ExportGradients}/{@link ImportGradients} in between for a
 * data-parallel exchange), trains ({@link TrainStep}: both in one work), evaluates, and moves its
 * whole state in and out in one call each ({@link ExportState}, {@link ImportState}). Every
 * operation is one work submitted to the device's stream and piped back to the actor, so the
 * device's pinned dispatcher thread never waits on the device; commands that arrive while a work
 * is in flight are stashed and run in order afterwards, so no two works ever touch the model at
 * once. Failures of a work (a {@link io.zbmd.gpu.DeviceOutOfMemoryException} above all) come back
 * as replies and the actor keeps working: a supervisor may halve the micro-batch and retry the
 * step. Everything the actor allocated is freed when it stops.
 *
 * <pre>{@code
 * GpuExtension gpu = GpuExtension.get(ctx.getSystem());
 * DeviceId device = gpu.defaultDevice().id();
 * ActorRef<ModelActor.Command> model = ModelActor.spawn(ctx, spec, device, "mlp");
 * model.tell(new ModelActor.TrainStep(batch, 1, stepReplies));
 * // StepCompleted(step, loss, samples) or StepFailed(step, cause); on an out-of-memory failure:
 * model.tell(new ModelActor.TrainStep(batch, 2, stepReplies)); // same effective batch, half the memory
 * model.tell(new ModelActor.Predict(HostTensor.ofFloats(new int[] {1, 784}, pixels), answers));
 * }</pre>
 */
public final class ModelActor extends AbstractBehavior<ModelActor.Command> {
  /** Commands waiting while a work is in flight, at most. */
  public static final int STASH_CAPACITY = 1000;

  /** What a model actor understands. */
  public interface Command {}

  // ---- inference ----

  /**
   * The model's output for {@code input} (any batch size; FLOAT32 or another numeric dtype,
   * converted), in inference mode: no labels, no loss, no gradients. One device work.
   */
  public record Predict(HostTensor input, ActorRef<PredictResult> replyTo) implements Command {
    public Predict {
      Objects.requireNonNull(input, "input");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** The answer to a {@link Predict}. */
  public sealed interface PredictResult permits Predicted, PredictFailed {}

  /** The model's output, FLOAT32, its first dimension the input's batch. */
  public record Predicted(HostTensor output) implements PredictResult {}

  /** No output; {@code cause} says why (a shape the model does not take, a device failure). */
  public record PredictFailed(Throwable cause) implements PredictResult {}

  // ---- training ----

  /**
   * One optimizer step over {@code batch}, split into {@code microBatches} consecutive parts whose
   * losses are weighed by their share of the batch, so that the gradients (and the update) are
   * those of the whole batch while only one part's activations are held at a time. The same as
   * {@link ComputeGradients} then {@link ApplyGradients} with scale 1, in one work.
   */
  public record TrainStep(Batch batch, int microBatches, ActorRef<StepResult> replyTo)
      implements Command {
    public TrainStep {
      Objects.requireNonNull(batch, "batch");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** The answer to a {@link TrainStep} or an {@link ApplyGradients}. */
  public sealed interface StepResult permits StepCompleted, StepFailed {}

  /**
   * A step was taken.
   *
   * @param step the number of steps taken so far, this one included
   * @param loss the mean loss over the batch, before the update (NaN when the gradients were
   *     imported rather than computed here)
   * @param samples the batch size
   */
  public record StepCompleted(long step, float loss, int samples) implements StepResult {}

  /**
   * The step {@code step} was not taken (the optimizer did not update); the actor is ready for
   * the next command. {@code cause} is the work's own exception, e.g. a {@link
   * io.zbmd.gpu.DeviceOutOfMemoryException}.
   */
  public record StepFailed(long step, Throwable cause) implements StepResult {}

  /**
   * zero-grad, forward, loss and backward over {@code batch} (in {@code microBatches} parts, as
   * {@link TrainStep}), leaving the gradients in the model's buckets for an exchange; the weights
   * do not change until {@link ApplyGradients}.
   */
  public record ComputeGradients(Batch batch, int microBatches, ActorRef<GradientsResult> replyTo)
      implements Command {
    public ComputeGradients {
      Objects.requireNonNull(batch, "batch");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** The answer to a {@link ComputeGradients} or an {@link ExportGradients}. */
  public sealed interface GradientsResult
      permits GradientsComputed, GradientsExported, GradientsFailed {}

  /** The gradients of the batch's mean loss {@code loss} over {@code samples} samples are ready. */
  public record GradientsComputed(float loss, int samples) implements GradientsResult {}

  /**
   * Host copies of the gradient buckets: flat FLOAT32 vectors in reverse parameter order (see
   * {@link io.zbmd.ml.nn.GradientBuckets}), one copy per bucket.
   */
  public record GradientsExported(List<HostTensor> buckets) implements GradientsResult {
    public GradientsExported {
      buckets = List.copyOf(buckets);
    }
  }

  public record GradientsFailed(Throwable cause) implements GradientsResult {}

  /** Host copies of the gradient buckets, as they stand (after {@link ComputeGradients}). */
  public record ExportGradients(ActorRef<GradientsResult> replyTo) implements Command {}

  /**
   * Overwrites the gradient buckets (e.g. with the average over replicas), of the sizes {@link
   * ExportGradients} gives; an {@link ApplyGradients} may follow.
   */
  public record ImportGradients(List<HostTensor> buckets, ActorRef<ImportResult> replyTo)
      implements Command {
    public ImportGradients {
      buckets = List.copyOf(buckets);
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /**
   * One optimizer step from the gradients in the buckets, first multiplied by {@code scale} (1
   * for as they are; {@code 1 / replicas} turns a summed all-reduce into a mean). Refused unless
   * gradients were computed or imported since the last step.
   */
  public record ApplyGradients(float scale, ActorRef<StepResult> replyTo) implements Command {
    public ApplyGradients {
      Objects.requireNonNull(replyTo, "replyTo");
      if (!Float.isFinite(scale)) {
        throw new IllegalArgumentException("gradient scale must be finite, got " + scale);
      }
    }
  }

  // ---- evaluation ----

  /**
   * The mean loss and the accuracy (argmax of the output) over {@code data}, without training; the
   * loss is NaN for an inference-only model.
   */
  public record Evaluate(Dataset data, int batchSize, ActorRef<EvaluationResult> replyTo)
      implements Command {
    public Evaluate {
      Objects.requireNonNull(data, "data");
      Objects.requireNonNull(replyTo, "replyTo");
      if (batchSize < 1) {
        throw new IllegalArgumentException("evaluation batch size " + batchSize);
      }
    }
  }

  /** The answer to an {@link Evaluate}. */
  public sealed interface EvaluationResult permits Evaluated, EvaluationFailed {}

  /** Mean loss and accuracy (0..1) over {@code samples} samples. */
  public record Evaluated(double loss, double accuracy, int samples) implements EvaluationResult {}

  public record EvaluationFailed(Throwable cause) implements EvaluationResult {}

  // ---- whole state ----

  /** The whole state (weights, optimizer state, generators, steps) in one work. */
  public record ExportState(ActorRef<StateResult> replyTo) implements Command {}

  public sealed interface StateResult permits StateExported, ExportFailed {}

  public record StateExported(ModelState state) implements StateResult {}

  /**
   * Restores a whole state in one work, after checking all of it (weights by name and shape; an
   * optimizer state of the model's optimizer): nothing is written when a check fails.
   */
  public record ImportState(ModelState state, ActorRef<ImportResult> replyTo) implements Command {
    public ImportState {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  // ---- weights and optimizer state ----

  /**
   * A host copy of every parameter, by PyTorch name ({@code fc1.weight}), with where the model's
   * random generators stand ({@link io.zbmd.ml.nn.Module#rngState()}).
   */
  public record ExportWeights(ActorRef<WeightsResult> replyTo) implements Command {}

  public sealed interface WeightsResult permits WeightsExported, ExportFailed {}

  /**
   * @param weights every parameter by PyTorch name
   * @param rngState the model's generators (empty when it draws nothing, e.g. without dropout)
   */
  public record WeightsExported(Map<String, HostTensor> weights, Map<String, Long> rngState)
      implements WeightsResult {
    public WeightsExported {
      weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
      rngState = Collections.unmodifiableMap(new LinkedHashMap<>(rngState));
    }

    public WeightsExported(Map<String, HostTensor> weights) {
      this(weights, Map.of());
    }
  }

  /**
   * Overwrites every parameter with {@code weights} (a state dict: every parameter, nothing else,
   * each of its parameter's shape; any numeric dtype, converted to FLOAT32). Nothing is written
   * when a check fails.
   */
  public record ImportWeights(
      Map<String, HostTensor> weights, Map<String, Long> rngState, ActorRef<ImportResult> replyTo)
      implements Command {
    public ImportWeights {
      weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
      rngState = Collections.unmodifiableMap(new LinkedHashMap<>(rngState));
      Objects.requireNonNull(replyTo, "replyTo");
    }

    /** Weights only: the model's generators stay where they are. */
    public ImportWeights(Map<String, HostTensor> weights, ActorRef<ImportResult> replyTo) {
      this(weights, Map.of(), replyTo);
    }
  }

  /** A host copy of the optimizer's state (see {@link Optimizer#state}). */
  public record ExportOptimizerState(ActorRef<OptimizerStateResult> replyTo) implements Command {}

  public sealed interface OptimizerStateResult permits OptimizerStateExported, ExportFailed {}

  public record OptimizerStateExported(OptimizerState state) implements OptimizerStateResult {}

  /** Replaces the optimizer's state (see {@link Optimizer#loadState}). */
  public record ImportOptimizerState(OptimizerState state, ActorRef<ImportResult> replyTo)
      implements Command {
    public ImportOptimizerState {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** The answer to an import of weights, optimizer state, gradients or a whole state. */
  public sealed interface ImportResult permits Imported, ImportFailed {}

  /** {@code count} tensors of {@code what} ("weights", "optimizer state", "state") were loaded. */
  public record Imported(String what, int count) implements ImportResult {}

  /** Nothing was loaded; {@code cause} names the offending parameter or buffer. */
  public record ImportFailed(String what, Throwable cause) implements ImportResult {}

  /** An export of {@code what} failed. */
  public record ExportFailed(String what, Throwable cause)
      implements WeightsResult, OptimizerStateResult, StateResult {}

  // ---- status ----

  /** Answered at once, even while a work is in flight. */
  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /**
   * @param device where the model lives
   * @param steps optimizer steps taken
   * @param parameters number of parameter values (0 until built)
   * @param busy whether a work is in flight
   * @param thread the thread that handled the query: the device's pinned dispatcher thread
   */
  public record Status(DeviceId device, long steps, long parameters, boolean busy, String thread) {}

  // ---- internal ----

  /** A work finished; {@code deliver} replies and updates state, on the actor's thread. */
  private record WorkFinished(Runnable deliver) implements Command {}

  /** Gradients in the buckets, waiting for an {@link ApplyGradients}: their loss and batch. */
  private record PendingGradients(float loss, int samples) {}

  private final StashBuffer<Command> stash;
  private final SerialDeviceWork<Command> work;
  private final DeviceId device;
  private final OwnedBuffers owned;
  private final Allocator alloc;
  private ModelParts parts;
  private long steps;
  private PendingGradients pending;

  private ModelActor(
      ActorContext<Command> ctx, StashBuffer<Command> stash, ModelSpec spec, DeviceId device) {
    super(ctx);
    this.stash = stash;
    this.device = device;
    GpuExtension gpu = GpuExtension.get(ctx.getSystem());
    this.owned = OwnedBuffers.create(gpu, ctx);
    // Through OwnedBuffers, so that whatever a layer still holds when we stop goes with close().
    this.alloc = Allocator.of(owned, device);
    this.work = new SerialDeviceWork<>(ctx, stash, gpu.stream(device), WorkFinished::new);
    long bucketCap = ModelSettings.from(ctx.getSystem().settings().config()).gradientBucketCapBytes();
    work.run(
        ops -> ModelParts.build(ops, spec, alloc, bucketCap),
        (built, err) ->
            () -> {
              if (err != null) {
                // Without a model there is nothing to serve: stop; PostStop frees what was built.
                throw new IllegalStateException(
                    ctx.getSelf().path() + ": building the model on " + device + " failed", err);
              }
              parts = built;
            });
  }

  /** The behavior; spawn it on {@code device}'s dispatcher (see {@link #spawn}). */
  public static Behavior<Command> create(ModelSpec spec, DeviceId device) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(device, "device");
    return Behaviors.withStash(
        STASH_CAPACITY, stash -> Behaviors.setup(ctx -> new ModelActor(ctx, stash, spec, device)));
  }

  /** Spawns a model actor as a child of {@code ctx} on {@code device}'s pinned dispatcher. */
  public static ActorRef<Command> spawn(
      ActorContext<?> ctx, ModelSpec spec, DeviceId device, String name) {
    return GpuExtension.get(ctx.getSystem()).spawn(ctx, create(spec, device), name, device);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(WorkFinished.class, m -> work.finished(this, m.deliver()))
        .onMessage(GetStatus.class, this::onStatus)
        .onMessage(Command.class, this::onCommand)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onStatus(GetStatus m) {
    long n = parts == null ? 0 : parts.model.parameterCount();
    m.replyTo().tell(new Status(device, steps, n, work.busy(), Thread.currentThread().getName()));
    return this;
  }

  private Behavior<Command> onCommand(Command c) {
    if (work.busy()) {
      if (stash.isFull()) {
        reject(c, new IllegalStateException(
            path() + " is busy and already holds " + STASH_CAPACITY + " waiting commands"));
      } else {
        work.deferIfBusy(c);
      }
      return this;
    }
    if (!parts.trains() && needsTraining(c)) {
      reject(c, new IllegalStateException(path()
          + " was built for inference only (ModelSpec.inference): it has no loss or optimizer"));
      return this;
    }
    if (c instanceof Predict m) {
      onPredict(m);
    } else if (c instanceof TrainStep m) {
      onTrainStep(m);
    } else if (c instanceof ComputeGradients m) {
      onComputeGradients(m);
    } else if (c instanceof ExportGradients m) {
      onExportGradients(m);
    } else if (c instanceof ImportGradients m) {
      onImportGradients(m);
    } else if (c instanceof ApplyGradients m) {
      onApplyGradients(m);
    } else if (c instanceof Evaluate m) {
      onEvaluate(m);
    } else if (c instanceof ExportState m) {
      onExportState(m);
    } else if (c instanceof ImportState m) {
      onImportState(m);
    } else if (c instanceof ExportWeights m) {
      onExportWeights(m);
    } else if (c instanceof ImportWeights m) {
      onImportWeights(m);
    } else if (c instanceof ExportOptimizerState m) {
      work.run(parts::optimizerState, (state, err) -> () -> m.replyTo().tell(err == null
          ? new OptimizerStateExported(state)
          : new ExportFailed("optimizer state", err)));
    } else if (c instanceof ImportOptimizerState m) {
      work.run(ops -> {
            parts.loadOptimizerState(ops, m.state());
            return m.state().buffers().size();
          },
          (n, err) -> () -> m.replyTo().tell(imported("optimizer state", n, err)));
    } else {
      getContext().getLog().warn("{}: unknown command {}", path(), c);
    }
    return this;
  }

  private static boolean needsTraining(Command c) {
    return c instanceof TrainStep
        || c instanceof ComputeGradients
        || c instanceof ExportGradients
        || c instanceof ImportGradients
        || c instanceof ApplyGradients
        || c instanceof ExportOptimizerState
        || c instanceof ImportOptimizerState;
  }

  private void reject(Command c, Throwable why) {
    if (c instanceof Predict m) {
      m.replyTo().tell(new PredictFailed(why));
    } else if (c instanceof TrainStep m) {
      m.replyTo().tell(new StepFailed(steps + 1, why));
    } else if (c instanceof ApplyGradients m) {
      m.replyTo().tell(new StepFailed(steps + 1, why));
    } else if (c instanceof ComputeGradients m) {
      m.replyTo().tell(new GradientsFailed(why));
    } else if (c instanceof ExportGradients m) {
      m.replyTo().tell(new GradientsFailed(why));
    } else if (c instanceof ImportGradients m) {
      m.replyTo().tell(new ImportFailed("gradients", why));
    } else if (c instanceof Evaluate m) {
      m.replyTo().tell(new EvaluationFailed(why));
    } else if (c instanceof ExportState m) {
      m.replyTo().tell(new ExportFailed("state", why));
    } else if (c instanceof ImportState m) {
      m.replyTo().tell(new ImportFailed("state", why));
    } else if (c instanceof ExportWeights m) {
      m.replyTo().tell(new ExportFailed("weights", why));
    } else if (c instanceof ImportWeights m) {
      m.replyTo().tell(new ImportFailed("weights", why));
    } else if (c instanceof ExportOptimizerState m) {
      m.replyTo().tell(new ExportFailed("optimizer state", why));
    } else if (c instanceof ImportOptimizerState m) {
      m.replyTo().tell(new ImportFailed("optimizer state", why));
    }
  }

  // ---- inference ----

  private void onPredict(Predict m) {
    HostTensor in = m.input();
    float[] values;
    try {
      if (in.rank() < 1 || in.numel() == 0) {
        throw new IllegalArgumentException(
            "predict: input of shape " + Arrays.toString(in.shape()) + " has no samples");
      }
      values = in.toFloats();
    } catch (RuntimeException e) {
      m.replyTo().tell(new PredictFailed(e));
      return;
    }
    work.run(ops -> parts.predict(ops, in.shape(), values), (out, err) -> () ->
        m.replyTo().tell(err == null ? new Predicted(out.toHost()) : new PredictFailed(err)));
  }

  // ---- training ----

  /** The micro-batches of a step: {@code parts} consecutive pieces of {@code batch}. */
  private static List<Batch> split(Batch batch, int parts) {
    return parts == 1 ? List.of(batch) : batch.split(parts);
  }

  private static float meanLoss(float[][] losses, List<Batch> micro, int total) {
    double loss = 0;
    for (int i = 0; i < micro.size(); i++) {
      loss += (double) losses[i][0] * micro.get(i).size() / total;
    }
    return (float) loss;
  }

  private void onTrainStep(TrainStep m) {
    long step = steps + 1;
    Batch batch = m.batch();
    List<Batch> micro;
    try {
      micro = split(batch, m.microBatches());
    } catch (IllegalArgumentException e) {
      m.replyTo().tell(new StepFailed(step, e));
      return;
    }
    pending = null;
    work.run(
        ops -> {
          float[][] losses = parts.computeGradients(ops, micro, batch.size());
          parts.applyGradients(ops, 1f);
          return losses;
        },
        (losses, err) ->
            () -> {
              if (err != null) {
                m.replyTo().tell(new StepFailed(step, err));
                return;
              }
              steps = step;
              m.replyTo().tell(
                  new StepCompleted(step, meanLoss(losses, micro, batch.size()), batch.size()));
            });
  }

  private void onComputeGradients(ComputeGradients m) {
    Batch batch = m.batch();
    List<Batch> micro;
    try {
      micro = split(batch, m.microBatches());
    } catch (IllegalArgumentException e) {
      m.replyTo().tell(new GradientsFailed(e));
      return;
    }
    pending = null;
    work.run(
        ops -> parts.computeGradients(ops, micro, batch.size()),
        (losses, err) ->
            () -> {
              if (err != null) {
                m.replyTo().tell(new GradientsFailed(err));
                return;
              }
              float loss = meanLoss(losses, micro, batch.size());
              pending = new PendingGradients(loss, batch.size());
              m.replyTo().tell(new GradientsComputed(loss, batch.size()));
            });
  }

  private void onExportGradients(ExportGradients m) {
    work.run(ops -> parts.buckets.toHost(ops), (values, err) -> () -> {
      if (err != null) {
        m.replyTo().tell(new GradientsFailed(err));
        return;
      }
      List<HostTensor> out = new ArrayList<>(values.size());
      for (float[] v : values) {
        out.add(HostTensor.ofFloats(new int[] {v.length}, v));
      }
      m.replyTo().tell(new GradientsExported(out));
    });
  }

  private void onImportGradients(ImportGradients m) {
    List<float[]> values = new ArrayList<>();
    try {
      long[] sizes = parts.buckets.sizes();
      if (m.buckets().size() != sizes.length) {
        throw new IllegalArgumentException(
            "expected " + sizes.length + " gradient buckets, got " + m.buckets().size());
      }
      for (int i = 0; i < sizes.length; i++) {
        HostTensor b = m.buckets().get(i);
        if (b.numel() != sizes[i]) {
          throw new IllegalArgumentException("gradient bucket " + i + " holds " + sizes[i]
              + " values, got " + Arrays.toString(b.shape()));
        }
        values.add(b.toFloats());
      }
    } catch (RuntimeException e) {
      m.replyTo().tell(new ImportFailed("gradients", e));
      return;
    }
    PendingGradients before = pending;
    work.run(ops -> {
          parts.buckets.fromHost(ops, values);
          return values.size();
        },
        (n, err) -> () -> {
          if (err == null) {
            pending = before != null ? before : new PendingGradients(Float.NaN, 0);
          }
          m.replyTo().tell(imported("gradients", n, err));
        });
  }

  private void onApplyGradients(ApplyGradients m) {
    long step = steps + 1;
    PendingGradients p = pending;
    if (p == null) {
      m.replyTo().tell(new StepFailed(step, new IllegalStateException(path()
          + ": no gradients to apply; send ComputeGradients (or ImportGradients) first")));
      return;
    }
    pending = null;
    work.run(ops -> {
          parts.applyGradients(ops, m.scale());
          return step;
        },
        (s, err) -> () -> {
          if (err != null) {
            m.replyTo().tell(new StepFailed(step, err));
            return;
          }
          steps = step;
          m.replyTo().tell(new StepCompleted(step, p.loss(), p.samples()));
        });
  }

  // ---- evaluation ----

  private void onEvaluate(Evaluate m) {
    Dataset data = m.data();
    work.run(
        ops -> parts.evaluate(ops, data, m.batchSize()),
        (out, err) ->
            () -> {
              if (err != null) {
                m.replyTo().tell(new EvaluationFailed(err));
                return;
              }
              m.replyTo().tell(score(out, data, m.batchSize()));
            });
  }

  private static Evaluated score(ModelParts.EvalOutput out, Dataset data, int batchSize) {
    double lossSum = 0;
    int correct = 0;
    int start = 0;
    for (int k = 0; k < out.logits().size(); k++) {
      float[] logits = out.logits().get(k);
      int size = Math.min(batchSize, data.size() - start);
      int classes = logits.length / size;
      for (int i = 0; i < size; i++) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
          if (logits[i * classes + c] > logits[i * classes + best]) {
            best = c;
          }
        }
        correct += best == data.label(start + i) ? 1 : 0;
      }
      lossSum += out.losses().isEmpty() ? Double.NaN : (double) out.losses().get(k)[0] * size;
      start += size;
    }
    int n = data.size();
    return new Evaluated(lossSum / n, (double) correct / n, n);
  }

  // ---- state and weights ----

  private record Exported(
      Map<String, float[]> weights, OptimizerState optimizer, Map<String, Long> rng) {}

  private Exported export(Ops ops, boolean withOptimizer) {
    Map<String, float[]> weights = parts.exportWeights(ops);
    OptimizerState opt = withOptimizer && parts.trains() ? parts.optimizerState(ops) : null;
    // Read on the device's thread, where training passes move the generators.
    return new Exported(weights, opt, parts.model.rngState());
  }

  private void onExportState(ExportState m) {
    long at = steps;
    work.run(ops -> export(ops, true), (e, err) -> () -> m.replyTo().tell(err == null
        ? new StateExported(new ModelState(parts.hostWeights(e.weights()), e.optimizer(), e.rng(), at))
        : new ExportFailed("state", err)));
  }

  private void onImportState(ImportState m) {
    ModelState state = m.state();
    Map<String, float[]> values;
    try {
      values = parts.checkWeights(state.weights());
      if (parts.trains() && state.optimizer() == null) {
        throw new IllegalArgumentException(
            "the state has no optimizer state, and " + path() + " trains");
      }
    } catch (RuntimeException e) {
      m.replyTo().tell(new ImportFailed("state", e));
      return;
    }
    work.run(ops -> {
          // The optimizer first: it checks its buffers before writing, so a mismatch leaves all.
          int n = values.size();
          if (parts.trains()) {
            parts.loadOptimizerState(ops, state.optimizer());
            n += state.optimizer().buffers().size();
          }
          parts.importWeights(ops, values, state.rngState());
          return n;
        },
        (n, err) -> () -> {
          if (err == null) {
            steps = state.steps();
            pending = null;
          }
          m.replyTo().tell(imported("state", n, err));
        });
  }

  private void onExportWeights(ExportWeights m) {
    work.run(ops -> export(ops, false), (e, err) -> () -> m.replyTo().tell(err == null
        ? new WeightsExported(parts.hostWeights(e.weights()), e.rng())
        : new ExportFailed("weights", err)));
  }

  private void onImportWeights(ImportWeights m) {
    Map<String, float[]> values;
    try {
      values = parts.checkWeights(m.weights());
    } catch (RuntimeException e) {
      m.replyTo().tell(new ImportFailed("weights", e));
      return;
    }
    work.run(ops -> {
          parts.importWeights(ops, values, m.rngState());
          return values.size();
        },
        (n, err) -> () -> m.replyTo().tell(imported("weights", n, err)));
  }

  private static ImportResult imported(String what, Integer n, Throwable err) {
    return err == null ? new Imported(what, n) : new ImportFailed(what, err);
  }

  private String path() {
    return getContext().getSelf().path().toString();
  }

  // ---- stopping ----

  private Behavior<Command> onPostStop() {
    // A work in flight still uses the model's buffers: they are freed once it is done.
    work.afterStop(this::freeAll);
    return this;
  }

  private void freeAll() {
    if (parts != null) {
      parts.close();
    }
    owned.close();
  }
}
