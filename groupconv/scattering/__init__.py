"""groupconv.scattering"""
