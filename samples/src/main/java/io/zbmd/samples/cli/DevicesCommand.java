package io.zbmd.samples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.zbmd.gpu.BackendStatus;
import io.zbmd.gpu.Bytes;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.GpuExtension;
import io.zbmd.runtime.Zbmd;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zbmd devices}: what each backend found on this machine, or why it could not load. */
@Command(
    name = "devices",
    mixinStandardHelpOptions = true,
    description = {
      "Lists every backend in zbmd.gpu.backends order with 'available' or the reason it is not,",
      "and each device with its memory."
    })
final class DevicesCommand implements Callable<Integer> {
  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    ActorSystem<Void> system = Zbmd.create(Behaviors.empty(), "zbmd-devices");
    try {
      List<BackendStatus> backends = GpuExtension.get(system).backends();
      if (json) {
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .writeValueAsString(Map.of("backends", toJson(backends))));
      } else {
        print(backends);
      }
      return 0;
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static void print(List<BackendStatus> backends) {
    for (BackendStatus b : backends) {
      System.out.println(b.name() + ": " + (b.available() ? "available" : "unavailable — "
          + b.reason().orElse("")));
      for (Device d : b.devices()) {
        System.out.println("  " + d.id() + "  " + d.name() + "  " + d.kind() + "  "
            + Bytes.format(d.totalMemory()));
      }
    }
  }

  private static List<Map<String, Object>> toJson(List<BackendStatus> backends) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (BackendStatus b : backends) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", b.name());
      m.put("rank", b.rank());
      m.put("available", b.available());
      m.put("reason", b.reason().orElse(null));
      List<Map<String, Object>> devices = new ArrayList<>();
      for (Device d : b.devices()) {
        Map<String, Object> dm = new LinkedHashMap<>();
        dm.put("id", d.id().toString());
        dm.put("name", d.name());
        dm.put("kind", d.kind().name());
        dm.put("totalMemory", d.totalMemory());
        devices.add(dm);
      }
      m.put("devices", devices);
      out.add(m);
    }
    return out;
  }
}
