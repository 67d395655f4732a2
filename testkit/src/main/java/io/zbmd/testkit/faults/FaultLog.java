package io.zbmd.testkit.faults;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The faults a {@link FaultInjectingBackend} injected, in order, with the plan that produced them:
 * print it when a test fails, and rerun with the same {@link FaultPlan} to get the same faults.
 * Only injections are recorded; the fail-fast refusals that follow a device loss are not.
 *
 * <pre>{@code
 * assertTrue(backend.faultLog().isEmpty(), () -> backend.faultLog().toString());
 * }</pre>
 */
public final class FaultLog {
  // By device index, then in injection order: per device the order is that of the calls, so the
  // whole list is reproducible even when independent devices run concurrently.
  private static final Comparator<InjectedFault> BY_DEVICE =
      Comparator.comparingInt(f -> f.device().index());

  private final FaultPlan plan;
  private final List<InjectedFault> entries = new ArrayList<>();

  FaultLog(FaultPlan plan) {
    this.plan = plan;
  }

  synchronized void record(InjectedFault fault) {
    entries.add(fault);
  }

  /** The plan that produced these faults (its seed replays them). */
  public FaultPlan plan() {
    return plan;
  }

  /** A snapshot of the faults: by device, and per device in the order they were injected. */
  public synchronized List<InjectedFault> entries() {
    List<InjectedFault> copy = new ArrayList<>(entries);
    copy.sort(BY_DEVICE);
    return List.copyOf(copy);
  }

  public synchronized boolean isEmpty() {
    return entries.isEmpty();
  }

  public synchronized int size() {
    return entries.size();
  }

  @Override
  public String toString() {
    List<InjectedFault> e = entries();
    StringBuilder s = new StringBuilder("FaultLog of ").append(plan).append(": ");
    if (e.isEmpty()) {
      return s.append("no faults injected").toString();
    }
    s.append(e.size()).append(e.size() == 1 ? " fault" : " faults");
    for (InjectedFault f : e) {
      s.append("\n  ").append(f);
    }
    return s.toString();
  }
}
