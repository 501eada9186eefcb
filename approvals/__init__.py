"""Approval: applications, intake, the approval chain, decisions and the licence library (issue 3)."""
