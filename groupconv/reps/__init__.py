"""groupconv.reps"""
