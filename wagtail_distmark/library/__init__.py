"""The content library: HQ's brand collections, each unit's upload collection, who may choose,
upload and change which file, usage rights and upload limits."""
