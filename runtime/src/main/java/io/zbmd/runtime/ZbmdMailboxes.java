package io.zbmd.runtime;

import org.apache.pekko.actor.typed.MailboxSelector;

/**
 * Mailboxes zbmd configures. Device actors use {@link #device()}: a bounded mailbox (256 messages
 * by default, {@code zbmd.device-mailbox}) so that a fast producer cannot queue unbounded work for
 * a slow device.
 *
 * <pre>{@code
 * ctx.spawn(behavior, "gemm", ZbmdMailboxes.device());
 * }</pre>
 */
public final class ZbmdMailboxes {
  /** Config path of the device mailbox. */
  public static final String DEVICE_MAILBOX = "zbmd.device-mailbox";

  private ZbmdMailboxes() {}

  /** The bounded device mailbox configured at {@value #DEVICE_MAILBOX}. */
  public static MailboxSelector device() {
    return MailboxSelector.fromConfig(DEVICE_MAILBOX);
  }
}
