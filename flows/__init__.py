"""Conversations as pure steps: state and message in, replies, next state and domain changes out."""
