"""groupconv.kernels"""
