// Runs an async job at most once at a time; calls made while it runs fold into one more run after it.
// A burst of engine events (e.g. "Refresh all" over 1,000 accounts) then costs two fetches, not 1,000.
export function coalesce(job: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;

  async function loop(): Promise<void> {
    try {
      do {
        again = false;
        await job();
      } while (again);
    } finally {
      running = null;
    }
  }

  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = loop();
    return running;
  };
}
