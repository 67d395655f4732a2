package io.zbmd.ml.actor;

import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.DeviceStream;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.gpu.Ops;
import io.zbmd.gpu.OwnedBuffers;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.nn.Loss;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Parameter;
import io.zbmd.ml.optim.Optimizer;
import io.zbmd.ml.optim.OptimizerState;
import io.zbmd.ml.tensor.Allocator;
import io.zbmd.ml.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.BiFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model on one device, as an actor: it owns the network, its loss and its optimizer (built from
 * a {@link ModelSpec} with memory accounted to the actor), trains on {@link Batch}es, evaluates,
 * and moves weights and optimizer state in and out by PyTorch parameter name. Every operation is
 * one work submitted to the device's stream and piped back to the actor, so the device's pinned
 * dispatcher thread never waits on the device; commands that arrive while a work is in flight are
 * stashed and run in order afterwards, so no two works ever touch the model at once. Failures of a
 * work (a {@link io.zbmd.gpu.DeviceOutOfMemoryException} above all) come back as replies and the
 * actor keeps working: a supervisor may halve the micro-batch and retry the step. Everything the
 * actor allocated is freed when it stops.
 *
 * <pre>{@code
 * GpuExtension gpu = GpuExtension.get(ctx.getSystem());
 * DeviceId device = gpu.defaultDevice().id();
 * ActorRef<ModelActor.Command> model = ModelActor.spawn(ctx, spec, device, "mlp");
 * model.tell(new ModelActor.TrainStep(batch, 1, stepReplies));
 * // StepCompleted(step, loss, samples) or StepFailed(step, cause); on an out-of-memory failure:
 * model.tell(new ModelActor.TrainStep(batch, 2, stepReplies)); // same effective batch, half the memory
 * }</pre>
 */
public final class ModelActor extends AbstractBehavior<ModelActor.Command> {
  private static final Logger log = LoggerFactory.getLogger(ModelActor.class);

  /** Commands waiting while a work is in flight, at most. */
  public static final int STASH_CAPACITY = 1000;

  /** What a model actor understands. */
  public interface Command {}

  // ---- training ----

  /**
   * One optimizer step over {@code batch}, split into {@code microBatches} consecutive parts whose
   * losses are weighed by their share of the batch, so that the gradients (and the update) are
   * those of the whole batch while only one part's activations are held at a time.
   */
  public record TrainStep(Batch batch, int microBatches, ActorRef<StepResult> replyTo)
      implements Command {
    public TrainStep {
      Objects.requireNonNull(batch, "batch");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** The answer to a {@link TrainStep}. */
  public interface StepResult {}

  /**
   * A step was taken.
   *
   * @param step the number of steps taken so far, this one included
   * @param loss the mean loss over the batch, before the update
   * @param samples the batch size
   */
  public record StepCompleted(long step, float loss, int samples) implements StepResult {}

  /**
   * The step {@code step} was not taken (the optimizer did not update); the actor is ready for
   * the next command. {@code cause} is the work's own exception, e.g. a {@link
   * io.zbmd.gpu.DeviceOutOfMemoryException}.
   */
  public record StepFailed(long step, Throwable cause) implements StepResult {}

  // ---- evaluation ----

  /** The mean loss and the accuracy (argmax of the output) over {@code data}, without training. */
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
  public interface EvaluationResult {}

  /** Mean loss and accuracy (0..1) over {@code samples} samples. */
  public record Evaluated(double loss, double accuracy, int samples) implements EvaluationResult {}

  public record EvaluationFailed(Throwable cause) implements EvaluationResult {}

  // ---- weights and optimizer state ----

  /**
   * A host copy of every parameter, by PyTorch name ({@code fc1.weight}), with where the model's
   * random generators stand ({@link io.zbmd.ml.nn.Module#rngState()}).
   */
  public record ExportWeights(ActorRef<WeightsResult> replyTo) implements Command {}

  public interface WeightsResult {}

  /**
   * @param weights every parameter by PyTorch name
   * @param rngState the model's generators (empty when it draws nothing, e.g. without dropout)
   */
  public record WeightsExported(Map<String, HostTensor> weights, Map<String, Long> rngState)
      implements WeightsResult {
    public WeightsExported {
      weights = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(weights));
      rngState = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rngState));
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
      weights = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(weights));
      rngState = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rngState));
      Objects.requireNonNull(replyTo, "replyTo");
    }

    /** Weights only: the model's generators stay where they are. */
    public ImportWeights(Map<String, HostTensor> weights, ActorRef<ImportResult> replyTo) {
      this(weights, Map.of(), replyTo);
    }
  }

  /** A host copy of the optimizer's state (see {@link Optimizer#state}). */
  public record ExportOptimizerState(ActorRef<OptimizerStateResult> replyTo) implements Command {}

  public interface OptimizerStateResult {}

  public record OptimizerStateExported(OptimizerState state) implements OptimizerStateResult {}

  /** Replaces the optimizer's state (see {@link Optimizer#loadState}). */
  public record ImportOptimizerState(OptimizerState state, ActorRef<ImportResult> replyTo)
      implements Command {
    public ImportOptimizerState {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** The answer to an import of weights or optimizer state. */
  public interface ImportResult {}

  /** {@code count} tensors of {@code what} ("weights", "optimizer state") were loaded. */
  public record Imported(String what, int count) implements ImportResult {}

  /** Nothing was loaded; {@code cause} names the offending parameter or buffer. */
  public record ImportFailed(String what, Throwable cause) implements ImportResult {}

  /** An export of {@code what} failed. */
  public record ExportFailed(String what, Throwable cause)
      implements WeightsResult, OptimizerStateResult {}

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

  private record Parts(Module model, Loss loss, Optimizer optimizer) {}

  /** A work finished; {@code deliver} replies and updates state, on the actor's thread. */
  private record WorkFinished(Runnable deliver) implements Command {}

  private final StashBuffer<Command> stash;
  private final SerialDeviceWork<Command> work;
  private final DeviceId device;
  private final DeviceStream stream;
  private final OwnedBuffers owned;
  private final Allocator alloc;
  private Parts parts;
  private long steps;

  private ModelActor(
      ActorContext<Command> ctx, StashBuffer<Command> stash, ModelSpec spec, DeviceId device) {
    super(ctx);
    this.stash = stash;
    this.device = device;
    GpuExtension gpu = GpuExtension.get(ctx.getSystem());
    this.stream = gpu.stream(device);
    this.owned = OwnedBuffers.create(gpu, ctx);
    // Through OwnedBuffers, so that whatever a layer still holds when we stop goes with close().
    this.alloc = Allocator.of(owned, device);
    this.work = new SerialDeviceWork<>(ctx, stash, stream, WorkFinished::new);
    work.run(
        ops -> build(ops, spec),
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

  private Parts build(Ops ops, ModelSpec spec) {
    Module model = spec.model().build(ops, alloc);
    Loss loss = spec.loss().build(alloc);
    Optimizer optimizer = spec.optimizer().build(alloc, model.parameters());
    return new Parts(model, loss, optimizer);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(WorkFinished.class, this::onWorkFinished)
        .onMessage(GetStatus.class, this::onStatus)
        .onMessage(Command.class, this::onCommand)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onWorkFinished(WorkFinished m) {
    return work.finished(this, m.deliver());
  }

  private Behavior<Command> onStatus(GetStatus m) {
    long n = parts == null ? 0 : parts.model().parameterCount();
    m.replyTo().tell(new Status(device, steps, n, work.busy(), Thread.currentThread().getName()));
    return this;
  }

  private Behavior<Command> onCommand(Command c) {
    if (work.busy()) {
      if (stash.isFull()) {
        reject(
            c,
            new IllegalStateException(
                getContext().getSelf().path()
                    + " is busy and already holds "
                    + STASH_CAPACITY
                    + " waiting commands"));
      } else {
        work.deferIfBusy(c);
      }
      return this;
    }
    if (c instanceof TrainStep m) {
      onTrainStep(m);
    } else if (c instanceof Evaluate m) {
      onEvaluate(m);
    } else if (c instanceof ExportWeights m) {
      onExportWeights(m);
    } else if (c instanceof ImportWeights m) {
      onImportWeights(m);
    } else if (c instanceof ExportOptimizerState m) {
      run(ops -> parts.optimizer().state(ops), (state, err) -> () ->
          m.replyTo().tell(err == null
              ? new OptimizerStateExported(state)
              : new ExportFailed("optimizer state", err)));
    } else if (c instanceof ImportOptimizerState m) {
      run(ops -> {
            parts.optimizer().loadState(ops, m.state());
            return m.state().buffers().size();
          },
          (n, err) -> () -> m.replyTo().tell(err == null
              ? new Imported("optimizer state", n)
              : new ImportFailed("optimizer state", err)));
    } else {
      getContext().getLog().warn("{}: unknown command {}", getContext().getSelf().path(), c);
    }
    return this;
  }

  private void reject(Command c, Throwable why) {
    if (c instanceof TrainStep m) {
      m.replyTo().tell(new StepFailed(steps + 1, why));
    } else if (c instanceof Evaluate m) {
      m.replyTo().tell(new EvaluationFailed(why));
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

  // ---- training ----

  private void onTrainStep(TrainStep m) {
    long step = steps + 1;
    Batch batch = m.batch();
    List<Batch> micro;
    try {
      micro = m.microBatches() == 1 ? List.of(batch) : batch.split(m.microBatches());
    } catch (IllegalArgumentException e) {
      m.replyTo().tell(new StepFailed(step, e));
      return;
    }
    run(
        ops -> trainStep(ops, micro, batch.size()),
        (losses, err) ->
            () -> {
              if (err != null) {
                m.replyTo().tell(new StepFailed(step, err));
                return;
              }
              double loss = 0;
              for (int i = 0; i < micro.size(); i++) {
                loss += (double) losses[i][0] * micro.get(i).size() / batch.size();
              }
              steps = step;
              m.replyTo().tell(new StepCompleted(step, (float) loss, batch.size()));
            });
  }

  /** zeroGrad, forward + loss + backward per micro-batch, one update: a single work. */
  private float[][] trainStep(Ops ops, List<Batch> micro, int total) {
    Module model = parts.model();
    Loss loss = parts.loss();
    parts.optimizer().zeroGrad(ops);
    float[][] losses = new float[micro.size()][];
    for (int i = 0; i < micro.size(); i++) {
      Batch b = micro.get(i);
      Tensor x = null;
      Tensor y = null;
      try {
        x = Tensor.of(ops, alloc, "batch.images", b.images(), b.size(), b.features());
        y = Tensor.of(ops, alloc, "batch.labels", b.labels(), b.size());
        Tensor value = loss.forward(ops, model.forward(ops, x, true), y);
        // A part's share of the batch, so that the accumulated gradients are the batch mean's.
        model.backward(ops, loss.backward(ops, (float) b.size() / total), false);
        losses[i] = value.toHost(ops);
      } finally {
        // The model and the loss retain their inputs until their next pass.
        release(x);
        release(y);
      }
    }
    parts.optimizer().step(ops);
    return losses;
  }

  // ---- evaluation ----

  private record EvalOutput(List<float[]> logits, List<float[]> losses) {}

  private void onEvaluate(Evaluate m) {
    Dataset data = m.data();
    run(
        ops -> evaluate(ops, data, m.batchSize()),
        (out, err) ->
            () -> {
              if (err != null) {
                m.replyTo().tell(new EvaluationFailed(err));
                return;
              }
              double lossSum = 0;
              int correct = 0;
              int start = 0;
              for (int k = 0; k < out.logits().size(); k++) {
                float[] logits = out.logits().get(k);
                int size = Math.min(m.batchSize(), data.size() - start);
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
                lossSum += (double) out.losses().get(k)[0] * size;
                start += size;
              }
              int n = data.size();
              m.replyTo().tell(new Evaluated(lossSum / n, (double) correct / n, n));
            });
  }

  private EvalOutput evaluate(Ops ops, Dataset data, int batchSize) {
    int f = data.features();
    List<float[]> logits = new ArrayList<>();
    List<float[]> losses = new ArrayList<>();
    for (int start = 0; start < data.size(); start += batchSize) {
      int size = Math.min(batchSize, data.size() - start);
      float[] xs = new float[size * f];
      int[] ys = new int[size];
      for (int i = 0; i < size; i++) {
        data.copyImage(start + i, xs, i * f);
        ys[i] = data.label(start + i);
      }
      Tensor x = null;
      Tensor y = null;
      try {
        x = Tensor.of(ops, alloc, "eval.images", xs, size, f);
        y = Tensor.of(ops, alloc, "eval.labels", ys, size);
        Tensor out = parts.model().forward(ops, x, false);
        Tensor value = parts.loss().forward(ops, out, y);
        logits.add(out.toHost(ops));
        losses.add(value.toHost(ops));
      } finally {
        release(x);
        release(y);
      }
    }
    return new EvalOutput(logits, losses);
  }

  // ---- weights ----

  private void onExportWeights(ExportWeights m) {
    Map<String, Parameter> params = parts.model().parameters();
    java.util.concurrent.atomic.AtomicReference<Map<String, Long>> rng =
        new java.util.concurrent.atomic.AtomicReference<>(Map.of());
    run(
        ops -> {
          Map<String, float[]> values = new LinkedHashMap<>();
          params.forEach((name, p) -> values.put(name, p.value().toHost(ops)));
          // Read on the device's thread, where training passes move the generators.
          rng.set(parts.model().rngState());
          return values;
        },
        (values, err) ->
            () -> {
              if (err != null) {
                m.replyTo().tell(new ExportFailed("weights", err));
                return;
              }
              Map<String, HostTensor> out = new LinkedHashMap<>();
              values.forEach(
                  (name, v) -> out.put(name, HostTensor.ofFloats(params.get(name).shape(), v)));
              m.replyTo().tell(new WeightsExported(out, rng.get()));
            });
  }

  private void onImportWeights(ImportWeights m) {
    Map<String, Parameter> params = parts.model().parameters();
    Map<String, float[]> values = new LinkedHashMap<>();
    try {
      TreeSet<String> missing = new TreeSet<>(params.keySet());
      missing.removeAll(m.weights().keySet());
      TreeSet<String> unexpected = new TreeSet<>(m.weights().keySet());
      unexpected.removeAll(params.keySet());
      if (!missing.isEmpty() || !unexpected.isEmpty()) {
        throw new IllegalArgumentException(
            "weights do not fit the model: missing " + missing + ", unexpected " + unexpected);
      }
      for (Map.Entry<String, Parameter> e : params.entrySet()) {
        HostTensor w = m.weights().get(e.getKey());
        int[] shape = e.getValue().shape();
        if (!w.hasShape(shape)) {
          throw new IllegalArgumentException(
              "parameter "
                  + e.getKey()
                  + ": expected shape "
                  + Arrays.toString(shape)
                  + ", got "
                  + Arrays.toString(w.shape()));
        }
        values.put(e.getKey(), w.toFloats());
      }
    } catch (RuntimeException e) {
      m.replyTo().tell(new ImportFailed("weights", e));
      return;
    }
    run(
        ops -> {
          values.forEach((name, v) -> params.get(name).value().fromHost(ops, v));
          if (!m.rngState().isEmpty()) {
            parts.model().restoreRngState(m.rngState());
          }
          return values.size();
        },
        (n, err) ->
            () ->
                m.replyTo().tell(err == null
                    ? new Imported("weights", n)
                    : new ImportFailed("weights", err)));
  }

  // ---- running works ----

  /** See {@link SerialDeviceWork#run}. */
  private <T> void run(DeviceStream.Work<T> w, BiFunction<T, Throwable, Runnable> onDone) {
    work.run(w, onDone);
  }

  private static void release(Tensor t) {
    if (t != null && !t.isReleased()) {
      t.release();
    }
  }

  // ---- stopping ----

  private Behavior<Command> onPostStop() {
    // A work in flight still uses the model's buffers: they are freed once it is done.
    work.afterStop(this::freeAll);
    return this;
  }

  private void freeAll() {
    if (parts != null) {
      closeQuietly(parts.optimizer());
      closeQuietly(parts.loss());
      closeQuietly(parts.model());
    }
    owned.close();
  }

  private void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // A static logger: this may run on the device's thread after the actor has stopped.
      log.warn("{}: closing {} failed", getContext().getSelf().path(), c, e);
    }
  }
}
