package io.zbmd.testkit.faults;

import static io.zbmd.testkit.faults.FaultTesting.FAULTY0;
import static io.zbmd.testkit.faults.FaultTesting.cpu;
import static io.zbmd.testkit.faults.FaultTesting.succeeded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The same plan and the same calls give the same faults: a failing run can be replayed. */
class SeededScheduleTest {
  private static final int OPS = 60;

  /** What one run saw: which submissions succeeded, and the faults the backend logged. */
  record Run(List<Boolean> outcomes, List<InjectedFault> faults) {}

  private static Run run(long seed) throws Exception {
    FaultPlan plan = FaultPlan.builder().seed(seed).failureProbability(0.3).build();
    try (FaultInjectingBackend backend = FaultInjectingBackend.wrap(cpu(), plan)) {
      DeviceBuffer a = backend.allocate(FAULTY0, DType.FLOAT32, 16, "test");
      DeviceBuffer c = backend.allocate(FAULTY0, DType.FLOAT32, 16, "test");
      DeviceStream stream = backend.stream(FAULTY0);
      List<Boolean> outcomes = new ArrayList<>();
      // One op per submission, so that the outcomes line up with op indices.
      for (int i = 0; i < OPS; i++) {
        int kind = i % 3;
        outcomes.add(
            succeeded(
                stream.submit(
                    ops -> {
                      switch (kind) {
                        case 0 -> ops.fill(a, 0, 16, 1f);
                        case 1 -> ops.copy(a, 0, c, 0, 16);
                        default ->
                            ops.gemm(false, false, 4, 4, 4, 1f, a, 0, 4, a, 0, 4, 0f, c, 0, 4);
                      }
                      return null;
                    })));
      }
      a.release();
      c.release();
      return new Run(outcomes, backend.faultLog().entries());
    }
  }

  @Test
  void theSameSeedGivesTheSameFaults() throws Exception {
    Run first = run(42);
    Run second = run(42);
    assertEquals(first, second);
    assertTrue(
        first.outcomes().contains(false) && first.outcomes().contains(true), first.toString());
  }

  @Test
  void theLogNamesExactlyTheOpsThatFailed() throws Exception {
    Run run = run(42);
    List<Long> failedAt = new ArrayList<>();
    for (int i = 0; i < OPS; i++) {
      if (!run.outcomes().get(i)) {
        failedAt.add((long) i);
      }
    }
    assertEquals(failedAt, run.faults().stream().map(InjectedFault::index).toList());
    List<String> names = List.of("fill", "copy", "gemm");
    for (InjectedFault f : run.faults()) {
      assertEquals(FAULTY0, f.device());
      assertEquals(FaultKind.KERNEL_FAILURE, f.kind());
      assertEquals(names.get((int) (f.index() % 3)), f.op());
    }
  }

  @Test
  void anotherSeedGivesAnotherSchedule() throws Exception {
    // Fixed seeds keep this deterministic; with 60 draws at p = 0.3 a collision is ~1e-14 likely.
    assertNotEquals(run(42).outcomes(), run(43).outcomes());
  }

  @Test
  void eachDrawDependsOnlyOnSeedDeviceAndOpIndex() {
    FaultPlan plan = FaultPlan.builder().seed(5).build();
    double d = plan.draw(0, 17);
    assertEquals(d, FaultPlan.builder().seed(5).failureProbability(0.9).build().draw(0, 17));
    assertTrue(d >= 0 && d < 1);
    assertNotEquals(d, plan.draw(1, 17));
    assertNotEquals(d, plan.draw(0, 18));
    assertFalse(d == FaultPlan.builder().seed(6).build().draw(0, 17));
  }
}
