#!/usr/bin/python3
"""A real RTSP server on loopback (GStreamer's gst-rtsp-server through python3-gi) for the camera tests.
Serves rtsp://127.0.0.1:PORT/cam: a moving test pattern, MJPEG over RTP, 320x240 at 10 fps; or, given an MP4 file
of H.264, that file's own H.264 (not re-encoded) at its own pace, once per connection.
Prints "ready PORT" once it listens; stops on SIGTERM. usage: rtsp_server.py [PORT [H264_MP4]] (0 = a free port)"""
import signal, sys
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer

Gst.init(None)
port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(str(port))
factory = GstRtspServer.RTSPMediaFactory()
if len(sys.argv) > 2:
    factory.set_launch("( filesrc location=%s ! qtdemux ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 )" % sys.argv[2])
else:
    factory.set_launch("( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=10/1 "
                       "! videoconvert ! video/x-raw,format=I420 ! jpegenc quality=80 ! rtpjpegpay name=pay0 pt=26 )")
factory.set_shared(True)
server.get_mount_points().add_factory("/cam", factory)
if server.attach(None) == 0:
    print("cannot listen on port %d" % port, flush=True)
    sys.exit(1)
print("ready %d" % server.get_bound_port(), flush=True)
loop = GLib.MainLoop()
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
loop.run()
