"""The core: context, fd table, header pool, service loop, output, timeouts,
log and constants.  It reaches roles only through the role-ops table."""
