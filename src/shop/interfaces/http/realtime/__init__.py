"""Live feeds over websockets (`/ws/inventory`, `/ws/orders`) on Litestar Channels.

`plugin.realtime_feeds` builds an app's Channels plugin; `notifier` is the
`RealtimeNotifier` adapter the container builds once per runtime. This module
imports nothing, so the container can import the notifier without the routes.
"""
