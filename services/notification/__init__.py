"""Notification service: in-app, email and Slack notifications of job milestones and alerts."""
