package io.zbmd.gpu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceId;
import io.zbmd.gpu.Ops;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checking decorator on its own, over a recording fake backend: no device needed. */
class CheckedOpsTest {
  private static final DeviceId FAKE0 = new DeviceId("fake", 0);

  private static final class FakeBuffer extends DeviceBuffer {
    FakeBuffer(long elements) {
      super(FAKE0, DType.FLOAT32, elements, "test");
    }

    @Override
    protected void freeStorage() {}
  }

  private final List<String> calls = new ArrayList<>();
  private final Ops recorder = (Ops) Proxy.newProxyInstance(Ops.class.getClassLoader(),
      new Class<?>[] {Ops.class}, (proxy, method, args) -> {
        if (method.getName().equals("device")) {
          return FAKE0;
        }
        calls.add(method.getName());
        return null;
      });
  private final Ops checked = new CheckedOps(recorder, FakeBuffer.class);

  /** Every op is checked here, and composites reach the backend's own (possibly fused) version. */
  @Test
  void overridesEveryMethodOfOps() throws NoSuchMethodException {
    for (Method m : Ops.class.getMethods()) {
      assertEquals(CheckedOps.class,
          CheckedOps.class.getMethod(m.getName(), m.getParameterTypes()).getDeclaringClass(),
          m.getName() + " is not overridden by CheckedOps");
    }
  }

  @Test
  void aCompositeReachesTheBackendsCompositeNotItsDecomposition() {
    checked.linearForward(new FakeBuffer(6), new FakeBuffer(12), new FakeBuffer(4),
        new FakeBuffer(8), 2, 3, 4);
    assertEquals(List.of("linearForward"), calls);
  }

  @Test
  void aRejectedCallNeverReachesTheBackend() {
    FakeBuffer small = new FakeBuffer(5);
    assertThrows(IllegalArgumentException.class,
        () -> checked.gemm(false, false, 2, 2, 2, 1f, small, 0, 2, small, 0, 2, 0f, new FakeBuffer(4), 0, 1));
    assertThrows(IllegalArgumentException.class,
        () -> checked.linearBackward(new FakeBuffer(6), new FakeBuffer(12), new FakeBuffer(8), null,
            new FakeBuffer(11), null, 2, 3, 4));
    assertEquals(List.of(), calls);
  }
}
