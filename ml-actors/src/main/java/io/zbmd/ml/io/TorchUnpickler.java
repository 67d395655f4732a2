package io.zbmd.ml.io;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Unpickles the {@code data.pkl} of a {@code torch.save} archive into plain descriptions: {@link
 * StorageRef} for each persistent storage id and {@link TensorRef} for each rebuilt tensor. No
 * tensor bytes are read here; {@link PtReader} reads and checks them afterwards.
 *
 * <p>Differences from the stock {@link Unpickler}, each for a reason:
 *
 * <ul>
 *   <li>Globals resolve against this instance's small allow-list, not the library's static
 *       registry: registering there would change every other unpickler in the JVM, and anything
 *       outside a state_dict (a class of the user's, {@code os.system}) is refused by name.
 *   <li>Dicts keep insertion order (the library's SETITEMS goes through a {@code HashMap}), so a
 *       state_dict keeps PyTorch's parameter order.
 *   <li>BUILD on a dict is ignored: it sets the {@code _metadata} attribute of the state_dict's
 *       {@code OrderedDict}, which holds module versions, not tensors.
 *   <li>Length-prefixed strings and bytes are checked against what is left of the pickle before the
 *       library allocates them, so a forged length cannot exhaust the heap.
 * </ul>
 */
final class TorchUnpickler extends Unpickler {

  /**
   * A storage named by a persistent id: {@code ('storage', torch.FloatStorage, key, location,
   * numel)}.
   */
  record StorageRef(String key, HostDType dtype, long numel, String location) {}

  /** The arguments of {@code torch._utils._rebuild_tensor_v2}: a strided view of a storage. */
  record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {}

  /**
   * Marks a storage class such as {@code torch.FloatStorage}; only ever an argument, never called.
   */
  private record StorageType(HostDType dtype, String name) implements IObjectConstructor {
    @Override
    public Object construct(Object[] args) {
      throw new PickleException("torch." + name + " called as a function");
    }
  }

  private final Map<String, IObjectConstructor> globals = new LinkedHashMap<>();
  private final Map<String, StorageRef> storages = new LinkedHashMap<>();
  private final ByteArrayInputStream pickle;

  TorchUnpickler(byte[] pickle) {
    this.pickle = new ByteArrayInputStream(pickle);
    globals.put("collections.OrderedDict", TorchUnpickler::orderedDict);
    globals.put("torch._utils._rebuild_tensor_v2", TorchUnpickler::rebuildTensor);
    globals.put("torch._utils._rebuild_tensor", TorchUnpickler::rebuildTensor);
    // nn.Parameter values (a dict of named_parameters) wrap the tensor: keep the tensor.
    globals.put("torch._utils._rebuild_parameter", args -> first(args, "_rebuild_parameter"));
    globals.put(
        "torch._utils._rebuild_parameter_with_state",
        args -> first(args, "_rebuild_parameter_with_state"));
    globals.put("torch.Size", args -> first(args, "torch.Size"));
    for (HostDType t : HostDType.values()) {
      globals.put("torch." + t.torchStorageName(), new StorageType(t, t.torchStorageName()));
    }
  }

  /** The unpickled object: for a state_dict, a map from names to {@link TensorRef}s. */
  Object load() throws IOException {
    return load(pickle);
  }

  @Override
  protected Object dispatch(short key) throws PickleException, IOException {
    switch (key) {
      case Opcodes.GLOBAL -> {
        String module = PickleUtils.readline(input);
        String name = PickleUtils.readline(input);
        stack.add(global(module, name));
        return NO_RETURN_VALUE;
      }
      case Opcodes.STACK_GLOBAL -> {
        Object name = stack.pop();
        Object module = stack.pop();
        if (!(name instanceof String n) || !(module instanceof String m)) {
          throw new PickleException("STACK_GLOBAL with non-string names");
        }
        stack.add(global(m, n));
        return NO_RETURN_VALUE;
      }
      case Opcodes.EMPTY_DICT -> {
        stack.add(new LinkedHashMap<>());
        return NO_RETURN_VALUE;
      }
      case Opcodes.DICT -> {
        List<Object> items = stack.pop_all_since_marker();
        Map<Object, Object> map = new LinkedHashMap<>();
        putPairs(map, items);
        stack.add(map);
        return NO_RETURN_VALUE;
      }
      case Opcodes.SETITEMS -> {
        List<Object> items = stack.pop_all_since_marker();
        putPairs(asMap(stack.peek()), items);
        return NO_RETURN_VALUE;
      }
      case Opcodes.SETITEM -> {
        Object value = stack.pop();
        Object k = stack.pop();
        asMap(stack.peek()).put(k, value);
        return NO_RETURN_VALUE;
      }
      case Opcodes.BUILD -> {
        stack.pop();
        if (!(stack.peek() instanceof Map)) {
          throw new PickleException("BUILD on a " + typeName(stack.peek()) + ", not a dict");
        }
        return NO_RETURN_VALUE;
      }
      case Opcodes.INST, Opcodes.OBJ, Opcodes.EXT1, Opcodes.EXT2, Opcodes.EXT4 ->
          throw new PickleException(
              "opcode 0x" + Integer.toHexString(key) + " is not used by torch.save");
      case Opcodes.BINSTRING, Opcodes.BINBYTES, Opcodes.BINUNICODE, Opcodes.LONG4 -> checkLength(4);
      case Opcodes.BINUNICODE8, Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> checkLength(8);
      default -> {
        // everything else allocates at most a constant or what a readline returns
      }
    }
    return super.dispatch(key);
  }

  @Override
  protected Object persistentLoad(Object pid) {
    if (!(pid instanceof Object[] t) || t.length != 5 || !"storage".equals(t[0])) {
      throw new PickleException("persistent id is not ('storage', type, key, location, numel)");
    }
    if (!(t[1] instanceof StorageType type)) {
      throw new PickleException(
          "persistent id names " + typeName(t[1]) + " instead of a storage type");
    }
    String key = String.valueOf(t[2]);
    long numel = toLong(t[4], "storage numel");
    if (numel < 0) {
      throw new PickleException("storage '" + key + "' has negative numel " + numel);
    }
    StorageRef ref = new StorageRef(key, type.dtype(), numel, String.valueOf(t[3]));
    StorageRef seen = storages.putIfAbsent(key, ref);
    if (seen != null && (seen.dtype() != ref.dtype() || seen.numel() != ref.numel())) {
      throw new PickleException(
          "storage '"
              + key
              + "' is declared twice, as "
              + seen.dtype()
              + "×"
              + seen.numel()
              + " and as "
              + ref.dtype()
              + "×"
              + ref.numel());
    }
    return seen != null ? seen : ref;
  }

  private IObjectConstructor global(String module, String name) {
    IObjectConstructor c = globals.get(module + "." + name);
    if (c == null) {
      throw new PickleException(
          "refers to "
              + module
              + "."
              + name
              + ", which is not part of a tensor state_dict"
              + " (only tensors, parameters and OrderedDicts are supported)");
    }
    return c;
  }

  private static Object orderedDict(Object[] args) {
    if (args.length != 0) {
      throw new PickleException("OrderedDict with arguments is not supported");
    }
    return new LinkedHashMap<>();
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[,
  // metadata])
  // _rebuild_tensor(storage, storage_offset, size, stride)
  private static Object rebuildTensor(Object[] args) {
    if (args.length < 4 || !(args[0] instanceof StorageRef storage)) {
      throw new PickleException("_rebuild_tensor without (storage, offset, size, stride)");
    }
    long offset = toLong(args[1], "storage_offset");
    long[] size = toLongs(args[2], "size");
    long[] stride = toLongs(args[3], "stride");
    return new TensorRef(storage, offset, size, stride);
  }

  private static Object first(Object[] args, String what) {
    if (args.length == 0) {
      throw new PickleException(what + " without arguments");
    }
    return args[0];
  }

  private static long[] toLongs(Object o, String what) {
    if (!(o instanceof Object[] tuple)) {
      throw new PickleException(what + " is a " + typeName(o) + ", not a tuple");
    }
    long[] out = new long[tuple.length];
    for (int i = 0; i < tuple.length; i++) {
      out[i] = toLong(tuple[i], what);
    }
    return out;
  }

  private static long toLong(Object o, String what) {
    if (o instanceof Integer || o instanceof Long || o instanceof Short || o instanceof Byte) {
      return ((Number) o).longValue();
    }
    if (o instanceof BigInteger b && b.bitLength() < 64) {
      return b.longValue();
    }
    throw new PickleException(what + " is not an integer that fits 64 bits: " + o);
  }

  @SuppressWarnings("unchecked")
  private static Map<Object, Object> asMap(Object o) {
    if (!(o instanceof Map)) {
      throw new PickleException("SETITEM(S) on a " + typeName(o) + ", not a dict");
    }
    return (Map<Object, Object>) o;
  }

  private static void putPairs(Map<Object, Object> map, List<Object> items) {
    if (items.size() % 2 != 0) {
      throw new PickleException("odd number of items for a dict");
    }
    for (int i = 0; i < items.size(); i += 2) {
      map.put(items.get(i), items.get(i + 1));
    }
  }

  /**
   * Refuses a length prefix larger than the rest of the pickle, before the library allocates it.
   */
  private void checkLength(int prefixBytes) {
    pickle.mark(prefixBytes);
    byte[] b = new byte[prefixBytes];
    int read = pickle.read(b, 0, prefixBytes);
    pickle.reset();
    if (read < prefixBytes) {
      return; // the library reports the premature end
    }
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    long length = prefixBytes == 4 ? buf.getInt() & 0xFFFFFFFFL : buf.getLong();
    long left = pickle.available() - prefixBytes;
    if (length < 0 || length > left) {
      throw new PickleException(
          "a string or bytes value claims "
              + Long.toUnsignedString(length)
              + " bytes but only "
              + left
              + " are left in the pickle");
    }
  }

  static String typeName(Object o) {
    return o == null ? "None" : o.getClass().getSimpleName();
  }
}
