"""A client that is not ours: discovers milkrun's services by gRPC server reflection
(grpcio-reflection, v1alpha), builds a Roads.Matrix request from the fetched descriptors
and prints one JSON object: the services found and the matrix answer.

Usage: reflect_client.py HOST:PORT API_KEY LAT,LON LAT,LON
"""
import json
import sys

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)


def main():
    address, key = sys.argv[1], sys.argv[2]
    points = [tuple(float(x) for x in p.split(",")) for p in sys.argv[3:]]
    channel = grpc.insecure_channel(address)
    database = ProtoReflectionDescriptorDatabase(channel)
    services = sorted(database.get_services())
    pool = descriptor_pool.DescriptorPool(database)
    method = pool.FindServiceByName("milkrun.v1.Roads").FindMethodByName("Matrix")
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)
    locations = [{"latitude": lat, "longitude": lon} for lat, lon in points]
    request = json_format.ParseDict(
        {"origins": locations, "destinations": locations}, request_class()
    )
    call = channel.unary_unary(
        "/milkrun.v1.Roads/Matrix",
        request_serializer=request_class.SerializeToString,
        response_deserializer=response_class.FromString,
    )
    response = call(request, metadata=[("authorization", "Bearer " + key)], timeout=60)
    print(json.dumps({
        "services": services,
        "matrix": json_format.MessageToDict(response),
    }))


if __name__ == "__main__":
    main()
