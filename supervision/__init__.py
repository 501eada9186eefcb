"""Electronic monitoring, warnings, efficiency scores and post-approval supervision (issue 4)."""
