package io.zbmd.ml.actor;

import io.zbmd.gpu.Ops;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.io.HostTensor;
import io.zbmd.ml.nn.GradientBuckets;
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
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link ModelActor} owns on its device (the network, its loss, optimizer and gradient
 * buckets) and the works it runs on them. Every method runs inside a device work on the actor's
 * stream; arrays it returns from the device are valid once that work has completed, which is why
 * host tensors are made by the caller on delivery.
 */
final class ModelParts {
  private static final Logger log = LoggerFactory.getLogger(ModelParts.class);

  final Module model;
  final Loss loss; // null for an inference-only model
  final Optimizer optimizer; // null for an inference-only model
  final GradientBuckets buckets; // null for an inference-only model
  private final Allocator alloc;

  private ModelParts(
      Module model, Loss loss, Optimizer optimizer, GradientBuckets buckets, Allocator alloc) {
    this.model = model;
    this.loss = loss;
    this.optimizer = optimizer;
    this.buckets = buckets;
    this.alloc = alloc;
  }

  static ModelParts build(Ops ops, ModelSpec spec, Allocator alloc, long bucketCapBytes) {
    Module model = spec.model().build(ops, alloc);
    if (!spec.trains()) {
      return new ModelParts(model, null, null, null, alloc);
    }
    Loss loss = spec.loss().build(alloc);
    GradientBuckets buckets = GradientBuckets.create(ops, alloc, model.parameters(), bucketCapBytes);
    Optimizer optimizer = spec.optimizer().build(alloc, model.parameters());
    return new ModelParts(model, loss, optimizer, buckets, alloc);
  }

  boolean trains() {
    return loss != null;
  }

  // ---- inference ----

  /** A forward pass's output: its shape and (after completion) its values. */
  record Output(int[] shape, float[] values) {
    HostTensor toHost() {
      return HostTensor.ofFloats(shape, values);
    }
  }

  Output predict(Ops ops, int[] shape, float[] input) {
    Tensor x = Tensor.of(ops, alloc, "predict.input", input, shape);
    try {
      Tensor out = model.forward(ops, x, false);
      return new Output(out.shape(), out.toHost(ops));
    } finally {
      release(x);
    }
  }

  // ---- gradients ----

  /**
   * zero-grad, then forward + loss + backward per micro-batch, each weighed by its share of {@code
   * total} so that the accumulated gradients are the whole batch's mean. Returns each micro-batch's
   * loss (a one-element array each).
   */
  float[][] computeGradients(Ops ops, List<Batch> micro, int total) {
    buckets.zero(ops);
    float[][] losses = new float[micro.size()][];
    for (int i = 0; i < micro.size(); i++) {
      Batch b = micro.get(i);
      Tensor x = null;
      Tensor y = null;
      try {
        x = Tensor.of(ops, alloc, "batch.inputs", b.images(), b.size(), b.features());
        y = targets(ops, b);
        Tensor value = loss.forward(ops, model.forward(ops, x, true), y);
        model.backward(ops, loss.backward(ops, (float) b.size() / total), false);
        losses[i] = value.toHost(ops);
      } finally {
        // The model and the loss retain their inputs until their next pass.
        release(x);
        release(y);
      }
    }
    return losses;
  }

  private Tensor targets(Ops ops, Batch b) {
    if (b.labels() != null) {
      return Tensor.of(ops, alloc, "batch.labels", b.labels(), b.size());
    }
    return Tensor.of(ops, alloc, "batch.targets", b.targets(), b.size(), b.targetFeatures());
  }

  /** Scales the gradients by {@code scale} (1: as they are), then one optimizer step. */
  void applyGradients(Ops ops, float scale) {
    buckets.scale(ops, scale);
    optimizer.step(ops);
  }

  // ---- evaluation ----

  record EvalOutput(List<float[]> logits, List<float[]> losses) {}

  EvalOutput evaluate(Ops ops, Dataset data, int batchSize) {
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
        Tensor out = model.forward(ops, x, false);
        logits.add(out.toHost(ops));
        if (loss != null) {
          y = Tensor.of(ops, alloc, "eval.labels", ys, size);
          losses.add(loss.forward(ops, out, y).toHost(ops));
        }
      } finally {
        release(x);
        release(y);
      }
    }
    return new EvalOutput(logits, losses);
  }

  // ---- weights and state ----

  /** Host copies of every parameter by name (valid after completion). */
  Map<String, float[]> exportWeights(Ops ops) {
    Map<String, float[]> values = new LinkedHashMap<>();
    model.parameters().forEach((name, p) -> values.put(name, p.value().toHost(ops)));
    return values;
  }

  /** The host tensors of {@link #exportWeights}'s arrays, once they are filled. */
  Map<String, HostTensor> hostWeights(Map<String, float[]> values) {
    Map<String, Parameter> params = model.parameters();
    Map<String, HostTensor> out = new LinkedHashMap<>();
    values.forEach((name, v) -> out.put(name, HostTensor.ofFloats(params.get(name).shape(), v)));
    return out;
  }

  /**
   * {@code weights} as FLOAT32 arrays in the model's order, checked against the model: every
   * parameter, nothing else, each of its shape. Runs on the actor's thread, before any work.
   */
  Map<String, float[]> checkWeights(Map<String, HostTensor> weights) {
    Map<String, Parameter> params = model.parameters();
    TreeSet<String> missing = new TreeSet<>(params.keySet());
    missing.removeAll(weights.keySet());
    TreeSet<String> unexpected = new TreeSet<>(weights.keySet());
    unexpected.removeAll(params.keySet());
    if (!missing.isEmpty() || !unexpected.isEmpty()) {
      throw new IllegalArgumentException(
          "weights do not fit the model: missing " + missing + ", unexpected " + unexpected);
    }
    Map<String, float[]> values = new LinkedHashMap<>();
    for (Map.Entry<String, Parameter> e : params.entrySet()) {
      HostTensor w = weights.get(e.getKey());
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
    return values;
  }

  void importWeights(Ops ops, Map<String, float[]> values, Map<String, Long> rngState) {
    Map<String, Parameter> params = model.parameters();
    values.forEach((name, v) -> params.get(name).value().fromHost(ops, v));
    if (!rngState.isEmpty()) {
      model.restoreRngState(rngState);
    }
  }

  OptimizerState optimizerState(Ops ops) {
    return optimizer.state(ops);
  }

  void loadOptimizerState(Ops ops, OptimizerState state) {
    optimizer.loadState(ops, state);
  }

  // ---- freeing ----

  void close() {
    if (optimizer != null) {
      closeQuietly(optimizer);
    }
    if (loss != null) {
      closeQuietly(loss);
    }
    closeQuietly(model);
    if (buckets != null) {
      closeQuietly(buckets);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // A static logger: this may run on the device's thread after the actor has stopped.
      log.warn("closing {} failed", c, e);
    }
  }

  static void release(Tensor t) {
    if (t != null && !t.isReleased()) {
      t.release();
    }
  }
}
