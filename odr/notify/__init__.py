"""Notifications: one service, pluggable channels, zh-CN and English templates."""
