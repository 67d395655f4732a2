package io.zbmd.testkit.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Plans: validated when built, printed in config syntax so that a failing run can be replayed. */
class FaultPlanTest {
  @Test
  void toStringShowsTheSeedAndParsesBackIntoTheSamePlan() {
    FaultPlan plan =
        FaultPlan.builder()
            .seed(-8_123_456_789L)
            .failureProbability(0.125)
            .ops("gemm", "copy")
            .oomAfterBytes(1 << 20)
            .lostAtOp(9)
            .build();
    String text = plan.toString();
    assertTrue(text.contains("seed = -8123456789"), text);
    // The braces are a zbmd.gpu.faulty block: paste them into config to replay the run.
    String block = text.substring(text.indexOf('{'));
    assertEquals(plan, FaultPlan.fromConfig(ConfigFactory.parseString(block)));
  }

  @Test
  void opsAreThePrimitivesOfOps() {
    assertTrue(
        FaultPlan.OPS.containsAll(Set.of("gemm", "copy", "fill", "copyToHost", "adamUpdate")));
    assertFalse(FaultPlan.OPS.contains("device"));
    assertFalse(FaultPlan.OPS.contains("linearForward"));
  }

  @Test
  void anEmptyOpListMeansAllOps() {
    assertTrue(FaultPlan.none().appliesTo("gemm"));
    FaultPlan gemmOnly = FaultPlan.builder().ops("gemm").build();
    assertTrue(gemmOnly.appliesTo("gemm"));
    assertFalse(gemmOnly.appliesTo("copy"));
  }

  @Test
  void typosAndCompositesInOpsAreRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FaultPlan.builder().ops("gem").build());
    assertTrue(e.getMessage().contains("'gem'"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> FaultPlan.builder().ops("linearForward").build());
    assertTrue(e.getMessage().contains("composite"), e.getMessage());
  }

  @Test
  void outOfRangeValuesAreRejected() {
    assertThrows(
        IllegalArgumentException.class, () -> FaultPlan.builder().failureProbability(-0.1).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> FaultPlan.builder().failureProbability(Double.NaN).build());
    assertThrows(
        IllegalArgumentException.class, () -> FaultPlan.builder().oomAfterBytes(-2).build());
    assertThrows(IllegalArgumentException.class, () -> FaultPlan.builder().lostAtOp(-5).build());
  }

  @Test
  void oomAfterBytesAcceptsSizeUnitsAndMinusOne() {
    assertEquals(
        64L << 20,
        FaultPlan.fromConfig(ConfigFactory.parseString("oom-after-bytes = 64m")).oomAfterBytes());
    assertEquals(
        -1,
        FaultPlan.fromConfig(ConfigFactory.parseString("oom-after-bytes = -1")).oomAfterBytes());
  }
}
