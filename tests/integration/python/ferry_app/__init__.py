"""A tiny application for the integration tests: its frames are in-app for sentry-sdk."""
