"""groupconv.verify"""
