"""groupconv.analysis"""
