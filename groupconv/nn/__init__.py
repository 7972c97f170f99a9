"""groupconv.nn"""
