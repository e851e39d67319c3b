"""Action and callback ids: the names that tie a button to its listener."""

FEEDBACK_HELPFUL = "feedback_helpful"
FEEDBACK_NOT_HELPFUL = "feedback_not_helpful"
SHOW_ENTRY = "show_entry"
