package io.zbmd.testkit.faults;

import io.zbmd.gpu.DeviceBuffer;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.Ops;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@link Ops} a fault-injecting stream hands to work: a {@link Proxy}, so that every primitive,
 * including ones added to {@code Ops} later, is counted and checked without a method written for
 * it. A primitive asks its {@link FaultyDevice} first (which throws any injected fault before the
 * delegate runs anything), then runs on the delegate with its buffers unwrapped. A composite
 * ({@code default} method) runs its own body on this proxy, so it counts as the primitives it calls
 * and a fused override in the delegate is bypassed: the fault schedule is then the same whichever
 * delegate is wrapped.
 */
final class FaultyOps implements InvocationHandler {
  private final FaultyDevice device;
  private final Ops delegate;
  private final AtomicReference<DeviceException> firstFault;

  private FaultyOps(
      FaultyDevice device, Ops delegate, AtomicReference<DeviceException> firstFault) {
    this.device = device;
    this.delegate = delegate;
    this.firstFault = firstFault;
  }

  /**
   * Ops over {@code delegate} that note the first fault of this submission in {@code firstFault}.
   */
  static Ops create(
      FaultyDevice device, Ops delegate, AtomicReference<DeviceException> firstFault) {
    return (Ops)
        Proxy.newProxyInstance(
            Ops.class.getClassLoader(),
            new Class<?>[] {Ops.class},
            new FaultyOps(device, delegate, firstFault));
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    if (method.getDeclaringClass() == Object.class) {
      return switch (method.getName()) {
        case "equals" -> proxy == args[0];
        case "hashCode" -> System.identityHashCode(proxy);
        default -> "FaultyOps(" + device.id() + " over " + delegate + ")";
      };
    }
    if (method.getName().equals("device") && method.getParameterCount() == 0) {
      return device.id();
    }
    if (method.isDefault()) {
      return InvocationHandler.invokeDefault(proxy, method, args);
    }
    try {
      device.beforeOp(method.getName());
    } catch (DeviceException e) {
      firstFault.compareAndSet(null, e);
      throw e;
    }
    try {
      return method.invoke(delegate, unwrap(args));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private Object[] unwrap(Object[] args) {
    if (args == null) {
      return null;
    }
    Object[] out = args.clone();
    for (int i = 0; i < out.length; i++) {
      if (out[i] instanceof DeviceBuffer b) {
        if (!(b instanceof FaultyBuffer f) || !b.device().equals(device.id())) {
          throw new IllegalArgumentException(
              b
                  + " is not a buffer of "
                  + device.id()
                  + "; allocate it through the fault-injecting backend on that device");
        }
        out[i] = f.inner();
      }
    }
    return out;
  }
}
