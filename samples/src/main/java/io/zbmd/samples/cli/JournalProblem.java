package io.zbmd.samples.cli;

/** Turns a failure to open the training journal into one line a user can act on. */
final class JournalProblem {
  private JournalProblem() {}

  /** What went wrong, from the innermost cause, with a hint when the database is in use. */
  static String describe(Throwable failure) {
    Throwable root = failure;
    String first = null;
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (first == null && t.getMessage() != null && t.getMessage().contains("journal")) {
        first = t.getMessage();
      }
      root = t;
    }
    String message = first != null ? first : String.valueOf(root.getMessage());
    if (message.contains("already in use") || message.contains("is locked")) {
      return message
          + "\nanother zbmd process holds this data directory's journal (the embedded H2 database"
          + " admits one process at a time): wait for it, use another --data-dir, or put the"
          + " journal on PostgreSQL (zbmd.checkpoint.journal.database = postgres)";
    }
    return message;
  }
}
