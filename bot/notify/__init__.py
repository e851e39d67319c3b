"""Notifications: a view rendered and queued in the outbox, in the transaction it announces.

The only package that imports both the views and the outbox.
"""
