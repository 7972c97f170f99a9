"""groupconv.interop"""
