"""Load generators. Each runs in its own process so it never shares a core's
event loop with the server it measures; both take a LoadSpec and give a LoadResult."""
