"""WebRTC plumbing the web app owns: ICE servers and TURN credentials, the embedded coturn."""
