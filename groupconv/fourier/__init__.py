"""groupconv.fourier"""
