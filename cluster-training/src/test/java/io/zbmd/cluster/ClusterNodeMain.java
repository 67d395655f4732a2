package io.zbmd.cluster;

import com.typesafe.config.ConfigFactory;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * A cluster node in its own JVM, for the multi-JVM tests. Arguments: port, comma-separated seeds
 * (host:port). Prints membership changes ({@code up}, {@code unreachable}, {@code removed}, {@code
 * members-up N}) and the {@link MemberOffer}s other nodes send it ({@code offer-from ADDRESS}),
 * which cross the JVMs as Jackson CBOR.
 */
public final class ClusterNodeMain {
  static final ServiceKey<MemberOffer> OFFERS = ServiceKey.create(MemberOffer.class, "offers");

  private ClusterNodeMain() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    List<String> seeds = Arrays.asList(args[1].split(","));
    ClusterBootstrap.start(guardian(port), "127.0.0.1", port, seeds, ConfigFactory.empty());
  }

  private static Behavior<Object> guardian(int port) {
    return Behaviors.setup(ctx -> {
      Cluster cluster = Cluster.get(ctx.getSystem());
      String self = cluster.selfMember().address().toString();
      ActorRef<MemberOffer> inbox = ctx.spawn(Behaviors.receive(MemberOffer.class)
          .onMessage(MemberOffer.class, offer -> {
            System.out.println("offer-from " + offer.node() + " " + offer.dataPlanePort());
            return Behaviors.same();
          }).build(), "offers");
      ctx.getSystem().receptionist().tell(Receptionist.register(OFFERS, inbox));
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(OFFERS,
          ctx.getSelf().narrow()));
      cluster.subscriptions().tell(Subscribe.create(ctx.getSelf().narrow(),
          ClusterEvent.ClusterDomainEvent.class));
      System.out.println("started " + self);
      Set<ActorRef<MemberOffer>> offered = new HashSet<>();
      Set<String> up = new HashSet<>(); // from events: cluster.state() lags behind them
      return Behaviors.receiveMessage(msg -> {
        if (msg instanceof Receptionist.Listing listing) {
          for (ActorRef<MemberOffer> ref : listing.getServiceInstances(OFFERS)) {
            if (!ref.equals(inbox) && offered.add(ref)) {
              ref.tell(new MemberOffer(self, "127.0.0.1", port + 1, List.of("cpu:0")));
            }
          }
        } else if (msg instanceof ClusterEvent.CurrentClusterState state) {
          for (Member m : state.getMembers()) {
            if (m.status() == MemberStatus.up()) {
              up.add(m.address().toString());
            }
          }
          System.out.println("members-up " + up.size());
        } else if (msg instanceof ClusterEvent.MemberUp event) {
          up.add(event.member().address().toString());
          System.out.println("up " + event.member().address());
          System.out.println("members-up " + up.size());
        } else if (msg instanceof ClusterEvent.UnreachableMember u) {
          System.out.println("unreachable " + u.member().address());
        } else if (msg instanceof ClusterEvent.MemberRemoved r) {
          up.remove(r.member().address().toString());
          System.out.println("removed " + r.member().address());
          System.out.println("members-up " + up.size());
        }
        return Behaviors.same();
      });
    });
  }
}
