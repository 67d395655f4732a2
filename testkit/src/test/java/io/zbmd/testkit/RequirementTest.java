package io.zbmd.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class RequirementTest {
  private final Requirement missing =
      new Requirement("vulkan", () -> Optional.of("no driver on this bench"));
  private final Requirement present = new Requirement("vulkan", Optional::empty);

  @Test
  void aMissingRequirementSkipsWithItsReason() {
    TestAbortedException e = assertThrows(TestAbortedException.class, () -> missing.check(Set.of()));
    assertTrue(e.getMessage().contains("no driver on this bench"), e.getMessage());
  }

  @Test
  void aMissingRequiredRequirementFails() {
    AssertionFailedError e =
        assertThrows(AssertionFailedError.class, () -> missing.check(Set.of("vulkan", "postgres")));
    assertTrue(e.getMessage().contains("zbmd.require"), e.getMessage());
  }

  @Test
  void aMetRequirementPasses() {
    present.check(Set.of("vulkan"));
    assertTrue(present.isMet());
  }

  @Test
  void aThrowingProbeCountsAsUnmet() {
    Requirement broken = new Requirement("cuda", () -> {
      throw new UnsatisfiedLinkError("libcuda.so.1");
    });
    assertTrue(broken.unmetReason().orElseThrow().contains("libcuda.so.1"));
  }

  @Test
  void requireParsesNamesAndRejectsTypos() {
    assertEquals(Set.of("vulkan", "postgres"), Requirements.parse(" vulkan, postgres ,"));
    assertEquals(Set.of(), Requirements.parse(""));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Requirements.parse("vulkan,postgress"));
    assertTrue(e.getMessage().contains("postgress"), e.getMessage());
  }

  @Test
  void builtInRequirementsAnswerWithoutThrowing() {
    // On any machine each probe gives either "met" or a reason naming what is missing.
    for (Requirement r : new Requirement[] {
        Requirements.vulkan(), Requirements.cuda(), Requirements.postgres()}) {
      r.unmetReason().ifPresent(reason -> assertTrue(!reason.isBlank(), r.name()));
    }
  }
}
