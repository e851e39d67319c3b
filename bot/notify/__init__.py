"""Notifications: a view rendered and queued in the outbox, in the transaction of the change
it announces. The only package that imports both the views and the outbox."""
