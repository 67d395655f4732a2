package io.zbmd.ml.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.ml.MlTestSupport;
import io.zbmd.ml.nn.Parameter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The optimizers against {@link TorchRules} over several steps, and their state: exported, imported
 * into a fresh optimizer, the next steps are bit-identical.
 */
class OptimizerTest extends MlTestSupport {
  private static final int STEPS = 6;
  // float32 rounding in a different order (fused ops, StrictMath) over a few steps.
  private static final double RTOL = 1e-5;
  private static final double ATOL = 1e-7;

  private static final Map<String, int[]> SHAPES = new LinkedHashMap<>();

  static {
    SHAPES.put("fc1.weight", new int[] {3, 4});
    SHAPES.put("fc1.bias", new int[] {3});
    SHAPES.put("fc2.weight", new int[] {2, 3});
  }

  /** Parameters with the given values (fresh zero gradients). */
  private Map<String, Parameter> parameters(Map<String, float[]> values) {
    Map<String, Parameter> params = new LinkedHashMap<>();
    run(
        ops -> {
          SHAPES.forEach(
              (name, shape) ->
                  params.put(name, Parameter.of(ops, alloc, name, values.get(name), shape)));
          return null;
        });
    return params;
  }

  private static Map<String, float[]> randomValues(SplittableRandom rnd) {
    Map<String, float[]> v = new LinkedHashMap<>();
    SHAPES.forEach(
        (name, shape) ->
            v.put(name, uniform(rnd, (int) io.zbmd.ml.tensor.Tensor.numel(shape), -1, 1)));
    return v;
  }

  private Map<String, float[]> values(Map<String, Parameter> params) {
    return run(
        ops -> {
          Map<String, float[]> v = new LinkedHashMap<>();
          params.forEach((k, p) -> v.put(k, p.value().toHost(ops)));
          return v;
        });
  }

  /** Sets the gradients to {@code grads} and steps. */
  private void step(Optimizer opt, Map<String, float[]> grads) {
    run(
        ops -> {
          opt.parameters().forEach((k, p) -> p.grad().fromHost(ops, grads.get(k)));
          opt.step(ops);
          return null;
        });
  }

  private static void release(Map<String, Parameter> params) {
    params.values().forEach(Parameter::release);
  }

  private void checkSgd(SGD.Options options) {
    SplittableRandom rnd = new SplittableRandom(options.hashCode());
    Map<String, float[]> host = randomValues(rnd);
    Map<String, Parameter> params = parameters(host);
    SGD sgd = new SGD(alloc, params, options);
    Map<String, float[]> buffers = new HashMap<>();
    for (int s = 0; s < STEPS; s++) {
      Map<String, float[]> grads = randomValues(rnd);
      step(sgd, grads);
      for (String k : host.keySet()) {
        buffers.put(k, TorchRules.sgd(host.get(k), grads.get(k), buffers.get(k), options));
      }
    }
    Map<String, float[]> device = values(params);
    for (String k : host.keySet()) {
      assertClose(options + " " + k, host.get(k), device.get(k), RTOL, ATOL);
    }
    assertEquals(STEPS, sgd.steps());
    sgd.close();
    release(params);
  }

  @Test
  void sgdFollowsTorchRules() {
    checkSgd(SGD.Options.of(0.1));
    checkSgd(SGD.Options.of(0.05).withWeightDecay(0.01));
    checkSgd(SGD.Options.of(0.1).withMomentum(0.9));
    checkSgd(SGD.Options.of(0.1).withMomentum(0.9).withWeightDecay(1e-2));
    checkSgd(SGD.Options.of(0.1).withMomentum(0.9).withNesterov(true).withWeightDecay(1e-2));
    checkSgd(SGD.Options.of(0.1).withMomentum(0.8).withNesterov(true));
    checkSgd(SGD.Options.of(0.1).withMomentum(0.9).withDampening(0.5).withWeightDecay(1e-3));
  }

  private void checkAdam(Adam.Options options, boolean decoupled) {
    SplittableRandom rnd = new SplittableRandom(options.hashCode() + (decoupled ? 1 : 0));
    Map<String, float[]> host = randomValues(rnd);
    Map<String, Parameter> params = parameters(host);
    Optimizer opt =
        decoupled ? new AdamW(alloc, params, options) : new Adam(alloc, params, options);
    Map<String, float[]> m = new HashMap<>();
    Map<String, float[]> v = new HashMap<>();
    host.forEach(
        (k, p) -> {
          m.put(k, new float[p.length]);
          v.put(k, new float[p.length]);
        });
    for (int s = 1; s <= STEPS; s++) {
      Map<String, float[]> grads = randomValues(rnd);
      step(opt, grads);
      for (String k : host.keySet()) {
        TorchRules.adam(host.get(k), grads.get(k), m.get(k), v.get(k), options, s, decoupled);
      }
    }
    Map<String, float[]> device = values(params);
    OptimizerState state = run(opt::state);
    for (String k : host.keySet()) {
      assertClose(opt + " " + k, host.get(k), device.get(k), RTOL, ATOL);
      assertClose(k + " exp_avg", m.get(k), state.buffer(k, "exp_avg"), RTOL, ATOL);
      // adamUpdate takes beta2 as a float: 1 - 0.999f is 0.00099998713, not torch's 0.001, so
      // the second moment is off by 1.3e-5 relative (the update, through its square root, by less).
      assertClose(k + " exp_avg_sq", v.get(k), state.buffer(k, "exp_avg_sq"), 3e-5, 1e-9);
    }
    opt.close();
    release(params);
  }

  @Test
  void adamFollowsTorchRules() {
    checkAdam(Adam.Options.defaults(), false);
    checkAdam(Adam.Options.defaults().withLr(1e-2).withWeightDecay(0.1), false);
    checkAdam(Adam.Options.defaults().withBetas(0.8, 0.99).withEps(1e-6), false);
  }

  @Test
  void adamWDecaysWeightsDecoupled() {
    checkAdam(AdamW.defaults(), true);
    checkAdam(AdamW.defaults().withLr(1e-2).withWeightDecay(0.1), true);
  }

  /**
   * Runs {@code make} three steps, exports its state, imports it into a fresh optimizer over a copy
   * of the parameters, then takes three more steps with both: the bits must agree.
   */
  private void checkResume(String name, Function<Map<String, Parameter>, Optimizer> make) {
    SplittableRandom rnd = new SplittableRandom(name.hashCode());
    Map<String, Parameter> params = parameters(randomValues(rnd));
    Optimizer original = make.apply(params);
    List<Map<String, float[]>> grads = new ArrayList<>();
    for (int s = 0; s < 6; s++) {
      grads.add(randomValues(rnd));
    }
    for (int s = 0; s < 3; s++) {
      step(original, grads.get(s));
    }
    OptimizerState saved = run(original::state);
    assertEquals(3, saved.step());

    Map<String, Parameter> copy = parameters(values(params));
    Optimizer resumed = make.apply(copy);
    run(
        ops -> {
          resumed.loadState(ops, saved);
          return null;
        });
    assertEquals(3, resumed.steps());
    for (int s = 3; s < 6; s++) {
      step(original, grads.get(s));
      step(resumed, grads.get(s));
    }
    Map<String, float[]> a = values(params);
    Map<String, float[]> b = values(copy);
    for (String k : a.keySet()) {
      assertArrayEquals(a.get(k), b.get(k), name + ": " + k + " after resume");
    }
    OptimizerState sa = run(original::state);
    OptimizerState sb = run(resumed::state);
    assertEquals(sa.buffers().keySet(), sb.buffers().keySet());
    for (String k : sa.buffers().keySet()) {
      assertArrayEquals(sa.buffers().get(k), sb.buffers().get(k), name + ": state " + k);
    }
    original.close();
    resumed.close();
    release(params);
    release(copy);
  }

  @Test
  void exportedStateResumesBitIdentically() {
    checkResume(
        "sgd nesterov",
        p ->
            new SGD(
                alloc,
                p,
                SGD.Options.of(0.1).withMomentum(0.9).withNesterov(true).withWeightDecay(1e-2)));
    checkResume(
        "sgd dampened",
        p -> new SGD(alloc, p, SGD.Options.of(0.1).withMomentum(0.9).withDampening(0.3)));
    checkResume("sgd fused", p -> new SGD(alloc, p, SGD.Options.of(0.1).withMomentum(0.9)));
    checkResume("adam", p -> new Adam(alloc, p, Adam.Options.defaults().withLr(1e-2)));
    checkResume("adamw", p -> new AdamW(alloc, p, AdamW.defaults()));
  }

  @Test
  void stateNamesFollowPyTorch() {
    Map<String, Parameter> params = parameters(randomValues(new SplittableRandom(1)));
    SGD plain = new SGD(alloc, params, SGD.Options.of(0.1));
    step(plain, randomValues(new SplittableRandom(2)));
    assertTrue(run(plain::state).buffers().isEmpty(), "no momentum, no buffers");
    SGD momentum = new SGD(alloc, params, SGD.Options.of(0.1).withMomentum(0.9));
    assertTrue(run(momentum::state).buffers().isEmpty(), "no buffers before the first step");
    step(momentum, randomValues(new SplittableRandom(3)));
    assertEquals(
        List.of(
            "fc1.weight.momentum_buffer", "fc1.bias.momentum_buffer", "fc2.weight.momentum_buffer"),
        List.copyOf(run(momentum::state).buffers().keySet()));
    Adam adam = new Adam(alloc, params, Adam.Options.defaults());
    step(adam, randomValues(new SplittableRandom(4)));
    OptimizerState s = run(adam::state);
    assertEquals("Adam", s.optimizer());
    assertEquals(12, s.buffer("fc1.weight", "exp_avg_sq").length);
    plain.close();
    momentum.close();
    adam.close();
    release(params);
  }

  @Test
  void badStateIsRejectedWithTheReason() {
    Map<String, Parameter> params = parameters(randomValues(new SplittableRandom(5)));
    Adam adam = new Adam(alloc, params, Adam.Options.defaults());
    step(adam, randomValues(new SplittableRandom(6)));
    OptimizerState good = run(adam::state);

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                run(
                    ops -> {
                      new AdamW(alloc, params, AdamW.defaults()).loadState(ops, good);
                      return null;
                    }));
    assertTrue(e.getMessage().contains("Adam") && e.getMessage().contains("AdamW"), e.getMessage());

    Map<String, float[]> missing = new LinkedHashMap<>(good.buffers());
    missing.remove("fc1.bias.exp_avg");
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                run(
                    ops -> {
                      adam.loadState(ops, new OptimizerState("Adam", 1, missing));
                      return null;
                    }));
    assertTrue(e.getMessage().contains("fc1.bias.exp_avg"), e.getMessage());

    Map<String, float[]> wrongSize = new LinkedHashMap<>(good.buffers());
    wrongSize.put("fc2.weight.exp_avg_sq", new float[5]);
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                run(
                    ops -> {
                      adam.loadState(ops, new OptimizerState("Adam", 1, wrongSize));
                      return null;
                    }));
    assertTrue(
        e.getMessage().contains("fc2.weight.exp_avg_sq") && e.getMessage().contains("5"),
        e.getMessage());

    Map<String, float[]> extra = new LinkedHashMap<>(good.buffers());
    extra.put("fc3.weight.exp_avg", new float[1]);
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                run(
                    ops -> {
                      adam.loadState(ops, new OptimizerState("Adam", 1, extra));
                      return null;
                    }));
    assertTrue(e.getMessage().contains("fc3.weight.exp_avg"), e.getMessage());
    adam.close();
    release(params);
  }

  @Test
  void hyperparametersAreCheckedAsTorchChecksThem() {
    assertThrows(IllegalArgumentException.class, () -> SGD.Options.of(-0.1));
    assertThrows(IllegalArgumentException.class, () -> SGD.Options.of(0.1).withNesterov(true));
    assertThrows(
        IllegalArgumentException.class,
        () -> SGD.Options.of(0.1).withMomentum(0.9).withDampening(0.1).withNesterov(true));
    assertThrows(
        IllegalArgumentException.class, () -> Adam.Options.defaults().withBetas(1.0, 0.999));
    assertThrows(IllegalArgumentException.class, () -> Adam.Options.defaults().withEps(-1));
  }
}
