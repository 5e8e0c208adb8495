"""(placeholder until the yuma wrappers land)"""
